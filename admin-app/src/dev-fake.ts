// BROWSER-PREVIEW FAKE. Only for `npm run dev` in a plain browser, where no
// Tauri backend exists: an in-memory stand-in for the commands so the UI can be
// looked at. ipc.ts loads it by dynamic import only when window.__TAURI_INTERNALS__
// is absent and only in development; it is never used under Tauri and is not
// part of a production build. Nothing here talks to imgup.

import type { InvokeArgs, InvokeOptions } from "@tauri-apps/api/core";
import type { Transport } from "./ipc";
import { DEFAULT_VIEW, matchesView, type ListView } from "./posts";
import { PROVIDER_IDS } from "./providers";
import type { AppError, Policy, Post, PostPage, PostQuery, Session, Settings, UploadProgress } from "./types";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = (kind: AppError["kind"], message: string): AppError => ({ kind, message });

function swatch(id: number): string {
  const hue = (id * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},70%,72%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360},60%,45%)"/></linearGradient></defs><rect width="640" height="480" fill="url(#g)"/><circle cx="${160 + ((id * 37) % 320)}" cy="${120 + ((id * 53) % 240)}" r="70" fill="rgba(255,255,255,.35)"/><text x="32" y="448" font-family="sans-serif" font-size="40" fill="rgba(0,0,0,.45)">#${id}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function seed(me: number): Post[] {
  const posts: Post[] = [];
  const now = Date.now();
  const names = ["cat", "harbour", "receipt", "diagram", "sunset", "team-photo", "logo", "screenshot"];
  for (let id = 1; id <= 137; id++) {
    const status = id % 17 === 0 ? "rejected" : id % 11 === 0 ? "pending" : id % 13 === 0 ? "processing" : "ready";
    const ext = ["png", "jpg", "webp", "avif"][id % 4]!;
    const type = { png: "image/png", jpg: "image/jpeg", webp: "image/webp", avif: "image/avif" }[ext]!;
    const at = new Date(now - (138 - id) * 3.7 * 3600_000).toISOString();
    posts.push({
      id,
      objectKey: `uploads/${(id * 2654435761).toString(16).padStart(32, "0").slice(-32)}.${ext}`,
      status,
      title: id % 3 === 0 ? `${names[id % names.length]} ${id}` : null,
      filename: `${names[id % names.length]}-${id}.${ext}`,
      contentType: type,
      size: 20_000 + ((id * 7919 * 131) % 4_000_000),
      ownerId: String(id % 4 === 0 ? me + 1 : me),
      ownerEmail: id % 4 === 0 ? "grace@example.com" : "ada@example.com",
      ownerName: id % 4 === 0 ? "Grace Hopper" : "Ada Lovelace",
      rejectionReason: status === "rejected" ? "the bytes are not a valid image of the declared type" : null,
      rejectionCode: status === "rejected" ? "corrupt" : null,
      width: status === "ready" ? 640 : null,
      height: status === "ready" ? 480 : null,
      blurhash: status === "ready" ? "LEHV6nWB2yk8pyo0adR*.7kCMdnj" : null,
      variants: {},
      createdAt: at,
      updatedAt: at,
      url: status === "ready" ? swatch(id) : null,
      expiresIn: status === "ready" ? 900 : null,
    });
  }
  return posts.reverse(); // newest first
}

export function createFakeTransport(): Transport {
  let settings: Settings = { apiUrl: "http://localhost:8080", authUrl: "http://localhost:8001" };
  const policy: Policy = {
    maxBytes: 10 * 1024 * 1024,
    allowedTypes: ["image/jpeg", "image/png", "image/webp", "image/avif"],
    maxImageWidth: 10000,
    maxImageHeight: 10000,
    maxImagePixels: 40_000_000,
    maxAnimationFrames: 100,
    variants: { thumb: 320, medium: 1280 },
    variantType: "image/webp",
  };
  const stored = sessionStorage.getItem("imgup-fake-session");
  let session: Session | null = stored ? (JSON.parse(stored) as Session) : null;
  const me = 1;
  let posts = seed(me);
  const people = [
    { id: me, email: "ada@example.com", name: "Ada Lovelace", role: "admin", storedRole: "user", adminByEmail: true, disabled: false, createdAt: new Date(Date.now() - 90 * 86400_000).toISOString(), lastSignInAt: new Date().toISOString() },
    { id: me + 1, email: "grace@example.com", name: "Grace Hopper", role: "user", storedRole: "user", adminByEmail: false, disabled: false, createdAt: new Date(Date.now() - 40 * 86400_000).toISOString(), lastSignInAt: new Date(Date.now() - 3 * 86400_000).toISOString() },
  ];
  let nextId = 1000;
  let cancelSignIn: (() => void) | null = null;
  const cancelledUploads = new Set<string>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((fn) => fn(payload));
  const signIn = (email: string, name: string | null): Session => {
    session = { user: { userId: me, email, name, role: "admin" }, tokenStore: "keyring" };
    sessionStorage.setItem("imgup-fake-session", JSON.stringify(session));
    return session;
  };
  const needSession = () => {
    if (!session) throw fail("unauthorized", "no token");
  };
  const find = (id: number) => {
    const p = posts.find((x) => x.id === id);
    if (!p) throw fail("notFound", "post not found");
    return p;
  };

  async function handle(cmd: string, args: InvokeArgs | undefined, options: InvokeOptions | undefined): Promise<unknown> {
    const a = (args ?? {}) as Record<string, unknown>;
    await wait(120);
    switch (cmd) {
      case "settings_get":
        return settings;
      case "settings_save":
        settings = a.settings as Settings;
        return settings;
      case "usage_get":
        needSession();
        return { posts: posts.filter((p) => p.ownerId === String(me)).length, bytes: 123_456_789, maxPosts: null, maxBytes: null };
      case "stats_get": {
        needSession();
        const sum = (list: Post[]) => ({ posts: list.length, bytes: list.reduce((n, p) => n + p.size, 0) });
        const statuses = ["pending", "processing", "ready", "rejected"] as const;
        return {
          total: sum(posts),
          byStatus: statuses.map((status) => ({ status, ...sum(posts.filter((p) => p.status === status)) })),
          topOwners: [String(me), String(me + 1)].map((ownerId) => ({
            ownerId,
            ownerEmail: ownerId === String(me) ? "ada@example.com" : "grace@example.com",
            ownerName: ownerId === String(me) ? "Ada Lovelace" : "Grace Hopper",
            ...sum(posts.filter((p) => p.ownerId === ownerId)),
          })),
          perDay: [{ day: new Date().toISOString().slice(0, 10), ...sum(posts.slice(0, 7)) }],
        };
      }
      case "people_list":
        needSession();
        return { users: people, nextCursor: null };
      case "person_update": {
        needSession();
        const person = people.find((p) => p.id === Number(a.id));
        if (!person) throw fail("notFound", "no such user");
        const change = a.change as { role?: "user" | "admin"; disabled?: boolean };
        if (change.role) Object.assign(person, { role: change.role, storedRole: change.role });
        if (change.disabled !== undefined) person.disabled = change.disabled;
        return person;
      }
      case "sign_in_options":
        return { providers: [...PROVIDER_IDS], testToken: true };
      case "session_current":
        return session;
      case "sign_in_test_token": {
        // Try the error paths: …@prod.example acts like a production auth service, offline@… like a stopped one.
        const email = String(a.email);
        if (email.endsWith("@prod.example")) throw fail("notFound", "test tokens are disabled");
        if (email.startsWith("offline@")) throw fail("network", "connection refused");
        return signIn(email, null);
      }
      case "sign_in_browser":
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(signIn("ada@example.com", "Ada Lovelace")), 3000);
          cancelSignIn = () => {
            clearTimeout(timer);
            reject(fail("cancelled", "cancelled"));
          };
        });
      case "sign_in_cancel":
        cancelSignIn?.();
        return null;
      case "sign_out":
        session = null;
        sessionStorage.removeItem("imgup-fake-session");
        return null;
      case "policy_get":
        needSession();
        return policy;
      case "posts_list": {
        needSession();
        const q = a.query as PostQuery;
        await wait(300);
        const view: ListView = {
          status: q.status ?? "all",
          q: q.q ?? "",
          owner: q.owner ?? "",
          sort: q.sort ?? DEFAULT_VIEW.sort,
          order: q.order ?? DEFAULT_VIEW.order,
        };
        const key = (p: Post) => (view.sort === "size" ? p.size : view.sort === "filename" ? p.filename.toLowerCase() : p.id);
        const direction = view.order === "asc" ? 1 : -1;
        const items = posts
          .filter((p) => matchesView(p, view))
          .sort((x, y) => direction * (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : x.id - y.id));
        // The cursor is the offset (the fake's posts do not change while paged).
        const start = Number(q.cursor ?? 0);
        const limit = q.limit ?? 20;
        const page = items.slice(start, start + limit);
        const next = start + limit < items.length ? String(start + limit) : null;
        return { items: page, nextCursor: next } satisfies PostPage;
      }
      case "post_get": {
        needSession();
        const p = find(Number(a.id));
        // Processing finishes a few seconds after the upload (or at once for the seeded ones).
        if (p.status === "processing" && Date.now() - new Date(p.updatedAt).getTime() > 3000) {
          Object.assign(p, { status: "ready", url: p.url ?? swatch(p.id), width: 640, height: 480, expiresIn: 900 });
        }
        return p;
      }
      case "post_open_original":
        needSession();
        window.open(find(Number(a.id)).url ?? "about:blank", "_blank");
        return null;
      case "post_download":
        needSession();
        return `/home/you/Downloads/${find(Number(a.id)).filename}`;
      case "plugin:opener|reveal_item_in_dir":
        return null; // a browser has no file manager to show
      case "post_retitle": {
        needSession();
        const p = find(Number(a.id));
        const title = typeof a.title === "string" ? a.title.trim() : "";
        Object.assign(p, { title: title || null, updatedAt: new Date().toISOString() });
        return p;
      }
      case "post_delete":
        needSession();
        find(Number(a.id));
        posts = posts.filter((p) => p.id !== Number(a.id));
        return null;
      case "upload_cancel":
        cancelledUploads.add(String(a.uploadId));
        return true;
      case "upload": {
        needSession();
        const headers = new Headers(options?.headers);
        const uploadId = headers.get("x-upload-id") ?? "";
        const filename = decodeURIComponent(headers.get("x-filename") ?? "");
        const contentType = headers.get("x-content-type") ?? "";
        const bytes = args as Uint8Array;
        const total = bytes.byteLength;
        const progress = (phase: UploadProgress["phase"], sent: number) =>
          emit("upload-progress", { uploadId, phase, sent, total } satisfies UploadProgress);
        const stopIfCancelled = () => {
          if (cancelledUploads.delete(uploadId)) throw fail("cancelled", "the upload was cancelled");
        };
        progress("creating", 0);
        await wait(300);
        for (let step = 1; step <= 10; step++) {
          stopIfCancelled();
          progress("uploading", Math.round((total * step) / 10));
          await wait(120);
        }
        stopIfCancelled();
        progress("checking", total);
        await wait(400);
        const now = new Date().toISOString();
        const post: Post = {
          id: nextId++,
          objectKey: `uploads/${uploadId.replace(/-/g, "").slice(0, 32)}.png`,
          status: "processing",
          title: decodeURIComponent(headers.get("x-title") ?? "") || null,
          filename,
          contentType,
          size: total,
          ownerId: String(me),
          rejectionReason: null,
          rejectionCode: null,
          width: null,
          height: null,
          blurhash: null,
          variants: {},
          createdAt: now,
          updatedAt: now,
          url: null,
          expiresIn: null,
        };
        if (/reject/i.test(filename)) {
          // As the server does: the post stays, rejected, with its reason.
          const reason = "the PNG image is damaged (unexpected end of file)";
          posts.unshift({ ...post, status: "rejected", rejectionReason: reason, rejectionCode: "corrupt" });
          throw { ...fail("rejected", reason), code: "corrupt" };
        }
        const blobUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: contentType }));
        setTimeout(() => Object.assign(post, { status: "ready", url: blobUrl, expiresIn: 900 }), 2500);
        posts.unshift(post);
        return post;
      }
      default:
        throw `command ${cmd} not found`;
    }
  }

  return {
    invoke: <T>(cmd: string, args?: InvokeArgs, options?: InvokeOptions) => handle(cmd, args, options) as Promise<T>,
    listen: <T>(event: string, handler: (payload: T) => void) => {
      const fn = handler as (payload: unknown) => void;
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
      return Promise.resolve(() => listeners.get(event)?.delete(fn));
    },
  };
}
