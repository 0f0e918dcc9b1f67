// The Tauri command contract, as the Rust side (src-tauri) implements it.
// The shapes the Rust side sends and takes are generated from its model
// (`./generated`, by ts-rs: see src-tauri/src/ts_types.rs, whose test fails
// when they drift); do not copy them here. This module re-exports them and
// keeps what exists only on this side.

import type { ErrorKind, PostStatus, Role } from "./generated";

export type {
  AppError,
  ErrorKind,
  PersonChange,
  Policy,
  Post,
  PostPage,
  PostQuery,
  PostStatus,
  Role,
  Session,
  Settings,
  SignInOptions,
  SortKey,
  SortOrder,
  TokenStore,
  TokenStoreReason,
  UploadPhase,
  UploadProgress,
  Usage,
  User,
  Variant,
} from "./generated";

/** A sign-in provider's id: the list lives in providers.ts. */
export type { Provider } from "./providers";

/** Every `ErrorKind`, for code that walks them all; the checks below keep it complete. */
export const ERROR_KINDS = [
  "unauthorized",
  "forbidden",
  "notFound",
  "tooLarge",
  "unsupportedType",
  "rejected",
  "network",
  "server",
  "invalidInput",
  "signInFailed",
  "cancelled",
  "storage",
] as const satisfies readonly ErrorKind[];
type Missing = Exclude<ErrorKind, (typeof ERROR_KINDS)[number]>;
/** Fails to compile when the Rust side gains a kind that ERROR_KINDS lacks. */
export const ERROR_KINDS_COMPLETE: [Missing] extends [never] ? true : Missing = true;

// `GET /stats` and `GET /auth/users` are passed through by the Rust side as
// JSON values: their shapes are the API's, written here.
export type Totals = { posts: number; bytes: number };
/** `GET /stats` (admins). */
export type LibraryStats = {
  total: Totals;
  byStatus: ({ status: PostStatus } & Totals)[];
  topOwners: ({ ownerId: string; ownerEmail: string | null; ownerName: string | null } & Totals)[];
  perDay: ({ day: string } & Totals)[];
};
/** One person, as `GET /auth/users` lists them (admins). */
export type Person = {
  id: number;
  email: string;
  name: string | null;
  /** The role their tokens carry. */
  role: Role;
  /** The role an admin set; `role` is admin regardless when `adminByEmail`. */
  storedRole: Role;
  /** Their email is in the server's `ADMIN_EMAILS`. */
  adminByEmail: boolean;
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
};
export type PeoplePage = { users: Person[]; nextCursor: string | null };
