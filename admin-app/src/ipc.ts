// Typed wrappers of the Tauri commands. The ONLY module that calls invoke/listen.
// Every wrapper rejects with a UiError (an AppError from the command, or
// "unexpected" when Tauri itself or our code failed).

import { invoke, type InvokeArgs, type InvokeOptions } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { toUiError } from "./errors";
import type {
  LibraryStats,
  PeoplePage,
  Person,
  PersonChange,
  Policy,
  Post,
  PostPage,
  PostQuery,
  Provider,
  Session,
  Settings,
  SignInOptions,
  UploadProgress,
  Usage,
} from "./types";

/** How commands reach the backend: Tauri's IPC, or the browser-preview fake. */
export interface Transport {
  invoke<T>(cmd: string, args?: InvokeArgs, options?: InvokeOptions): Promise<T>;
  listen<T>(event: string, handler: (payload: T) => void): Promise<() => void>;
}

const tauriTransport: Transport = {
  invoke: (cmd, args, options) => invoke(cmd, args, options),
  listen: (event, handler) => listen(event, (e) => handler(e.payload as never)),
};

export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

let transport: Promise<Transport> | null = null;

function getTransport(): Promise<Transport> {
  if (!transport) {
    if (inTauri()) {
      transport = Promise.resolve(tauriTransport);
    } else if (import.meta.env.DEV) {
      // `npm run dev` in a plain browser: an in-memory fake, never used under Tauri
      // and not part of a production build.
      transport = import("./dev-fake").then((m) => m.createFakeTransport());
    } else {
      transport = Promise.resolve(missingTransport);
    }
  }
  return transport;
}

const missing = {
  kind: "unexpected",
  message: "this page runs inside the imgup-admin app; open the app instead",
};
const missingTransport: Transport = {
  invoke: () => Promise.reject(missing),
  listen: () => Promise.resolve(() => {}),
};

/** Tests (and only tests) swap the transport. */
export function setTransport(t: Transport | null): void {
  transport = t ? Promise.resolve(t) : null;
}

async function call<T>(cmd: string, args?: InvokeArgs, options?: InvokeOptions): Promise<T> {
  const t = await getTransport();
  try {
    return await t.invoke<T>(cmd, args, options);
  } catch (e) {
    throw toUiError(e);
  }
}

export const settingsGet = () => call<Settings>("settings_get");
export const settingsSave = (settings: Settings) => call<Settings>("settings_save", { settings });
export const sessionCurrent = () => call<Session | null>("session_current");
export const signInOptions = () => call<SignInOptions>("sign_in_options");
export const signInTestToken = (email: string) => call<Session>("sign_in_test_token", { email });
export const signInBrowser = (provider: Provider) => call<Session>("sign_in_browser", { provider });
export const signInCancel = () => call<null>("sign_in_cancel");
export const signOut = () => call<null>("sign_out");
export const policyGet = () => call<Policy>("policy_get");
export const usageGet = () => call<Usage>("usage_get");
export const statsGet = (top?: number) => call<LibraryStats>("stats_get", top === undefined ? {} : { top });
export const peopleList = (cursor: string | null) => call<PeoplePage>("people_list", cursor ? { cursor } : {});
export const personUpdate = (id: number, change: PersonChange) => call<Person>("person_update", { id, change });

export function postsList(query: PostQuery): Promise<PostPage> {
  // Only the keys that are set: `status: undefined` must not reach serde as null.
  const q = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== "")) as PostQuery;
  return call<PostPage>("posts_list", { query: q });
}

export const postGet = (id: number) => call<Post>("post_get", { id });
export const postDownload = (id: number) => call<string>("post_download", { id });
export const postRetitle = (id: number, title: string | null) => call<Post>("post_retitle", { id, title });
export const postDelete = (id: number) => call<null>("post_delete", { id });
export const postOpenOriginal = (id: number) => call<null>("post_open_original", { id });
/**
 * Shows a downloaded file in the system file manager, selected: tauri-plugin-opener's
 * `reveal_item_in_dir` (the one opener command the capability allows the window).
 */
export const revealInFolder = (path: string) => call<null>("plugin:opener|reveal_item_in_dir", { paths: [path] });

export type UploadRequest = {
  uploadId: string;
  filename: string;
  contentType: string;
  title: string;
  bytes: ArrayBuffer;
};

/**
 * Sends the raw bytes; resolves with the Post after create → PUT → complete:
 * `ready`, or `processing` when the server is still at it (the grid polls it).
 */
export function upload(req: UploadRequest): Promise<Post> {
  return call<Post>("upload", new Uint8Array(req.bytes), {
    headers: {
      "x-upload-id": req.uploadId,
      "x-filename": encodeURIComponent(req.filename),
      "x-content-type": req.contentType,
      "x-title": encodeURIComponent(req.title),
    },
  });
}

/** Stops the upload `uploadId` on the Rust side: its PUT is dropped, its post deleted. */
export const uploadCancel = (uploadId: string) => call<boolean>("upload_cancel", { uploadId });

/** Progress of every upload; returns the function that stops listening. */
export async function onUploadProgress(handler: (p: UploadProgress) => void): Promise<() => void> {
  const t = await getTransport();
  return t.listen<UploadProgress>("upload-progress", handler);
}
