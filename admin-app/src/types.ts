// The Tauri command contract, as the Rust side (src-tauri) implements it.
// Keep in step with admin-app/src-tauri: these are the JSON shapes it sends.

export type Settings = { apiUrl: string; authUrl: string };
export type Role = "user" | "admin";
export type User = { userId: number; email: string; name: string | null; role: Role };
export type TokenStore = "keyring" | "file";
/** Why the token is in a file: `IMGUP_ADMIN_TOKEN_STORE=file`, or no keyring answered. */
export type TokenStoreReason = "setting" | "noKeyring";
export type Session = {
  user: User;
  tokenStore: TokenStore;
  /** Set with `tokenStore: "file"`; absent from older builds of the Rust side. */
  tokenStoreReason?: TokenStoreReason | null;
};
export type Policy = {
  maxBytes: number;
  allowedTypes: string[];
  /** Image limits (0: none); 0 and empty from servers older than the image pipeline. */
  maxImageWidth: number;
  maxImageHeight: number;
  maxImagePixels: number;
  maxAnimationFrames: number;
  /** Preset name → long side in px. */
  variants: Record<string, number>;
  variantType: string | null;
};
export type PostStatus = "pending" | "processing" | "ready" | "rejected";
/** One rendered size of a ready image (a presigned GET, like the post's `url`). */
export type Variant = { url: string; width: number; height: number; contentType: string };
export type Post = {
  id: number;
  objectKey: string;
  status: PostStatus;
  title: string | null;
  filename: string;
  contentType: string;
  size: number;
  ownerId: string;
  /** Who the owner is, where the caller may see it; absent from older servers. */
  ownerEmail?: string | null;
  ownerName?: string | null;
  rejectionReason: string | null;
  /** Stable name of the rejection: `too_many_pixels`, `corrupt`, `not_an_image`, … */
  rejectionCode: string | null;
  /** As displayed (after the EXIF orientation), once ready. */
  width: number | null;
  height: number | null;
  /** A BlurHash for the placeholder while the image loads. */
  blurhash: string | null;
  /** `thumb`, `medium`, … once ready; empty for AVIF (show `url`). */
  variants: Record<string, Variant>;
  createdAt: string;
  updatedAt: string;
  /** The original, presigned, once ready. */
  url: string | null;
  expiresIn: number | null;
};
export type PostPage = { items: Post[]; nextCursor: string | null };
export type SortKey = "created" | "size" | "filename";
export type SortOrder = "asc" | "desc";
export type PostQuery = {
  status?: PostStatus;
  cursor?: string;
  limit?: number;
  /** A piece of the filename or title, any case. */
  q?: string;
  /** A user id or email (admins). */
  owner?: string;
  sort?: SortKey;
  order?: SortOrder;
};
export type UploadPhase = "creating" | "uploading" | "checking";
export type UploadProgress = { uploadId: string; phase: UploadPhase; sent: number; total: number };
/** A sign-in provider's id: the list lives in providers.ts. */
export type { Provider } from "./providers";
/** `GET /auth/providers`: what the auth service offers. */
export type SignInOptions = { providers: string[]; testToken: boolean };

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
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
/** What every command rejects with. */
export type AppError = { kind: ErrorKind; message: string; code?: string };

/** `GET /usage`: the caller's own posts and bytes; a max absent is unlimited. */
export type Usage = { posts: number; bytes: number; maxPosts: number | null; maxBytes: number | null };
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
export type PersonChange = { role?: Role; disabled?: boolean };
