// The Tauri command contract, as the Rust side (src-tauri) implements it.
// Keep in step with admin-app/src-tauri: these are the JSON shapes it sends.

export type Settings = { apiUrl: string; authUrl: string };
export type Role = "user" | "admin";
export type User = { userId: number; email: string; name: string | null; role: Role };
export type TokenStore = "keyring" | "file";
export type Session = { user: User; tokenStore: TokenStore };
export type Policy = { maxBytes: number; allowedTypes: string[] };
export type PostStatus = "pending" | "ready" | "rejected";
export type Post = {
  id: number;
  objectKey: string;
  status: PostStatus;
  title: string | null;
  filename: string;
  contentType: string;
  size: number;
  ownerId: string;
  rejectionReason: string | null;
  createdAt: string;
  updatedAt: string;
  url: string | null;
  expiresIn: number | null;
};
export type PostPage = { items: Post[]; nextCursor: string | null };
export type PostQuery = { status?: PostStatus; cursor?: string; limit?: number };
export type UploadPhase = "creating" | "uploading" | "checking";
export type UploadProgress = { uploadId: string; phase: UploadPhase; sent: number; total: number };
export type Provider = "google" | "github" | "oidc";

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
export type AppError = { kind: ErrorKind; message: string };
