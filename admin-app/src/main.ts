// Boot: the shell is already painted (index.html); ask who is signed in, then
// show the sign-in screen or the posts. Wires the views to the commands.

import { h } from "./dom";
import { describeError, isKind, toUiError, type Action, type ErrorContext } from "./errors";
import * as ipc from "./ipc";
import { applyTheme, loadTheme } from "./theme";
import type { Policy, Post, Session, Settings } from "./types";
import { mountBanner, mountToast } from "./views/banner";
import { headerView } from "./views/header";
import { offlineView } from "./views/offline";
import { openPeople } from "./views/people";
import { openUsage } from "./views/usage";
import { closeAllModals } from "./views/modal";
import { postsView, type PostsView } from "./views/posts";
import { openPreview } from "./views/preview";
import { openSettings as openSettingsDialog } from "./views/settings";
import { signInView } from "./views/signin";
import { uploadView } from "./views/upload";

// The stored appearance first, before anything renders (no inline script: the CSP forbids it).
applyTheme(loadTheme());

const appEl = document.getElementById("app")!;
const banner = mountBanner(document.getElementById("error-banner")!);
const toast = mountToast(document.getElementById("toast")!);

let settings: Settings | null = null;
let policy: Policy | null = null;
let screen: { destroy(): void } | null = null;

function errorContext(action: Action, extra: ErrorContext = {}): ErrorContext {
  return {
    action,
    apiUrl: settings?.apiUrl,
    authUrl: settings?.authUrl,
    maxBytes: policy?.maxBytes,
    allowedTypes: policy?.allowedTypes,
    ...extra,
  };
}

/** An error for the banner; an expired session goes back to sign-in. */
function report(error: unknown, action: Action): void {
  const err = toUiError(error);
  if (err.kind === "unauthorized" && action !== "signIn" && action !== "testToken") {
    expire();
    return;
  }
  banner.show(describeError(err, errorContext(action)));
}

function expire(): void {
  closeAllModals();
  showSignIn();
  banner.show(describeError({ kind: "unauthorized", message: "" }));
}

function show(build: () => { el: Node; destroy(): void }): void {
  closeAllModals();
  screen?.destroy();
  const next = build();
  screen = next;
  appEl.replaceChildren(next.el);
}

function openSettings(): void {
  openSettingsDialog({
    current: settings,
    save: ipc.settingsSave,
    describe: (e) => describeError(e, errorContext("settings")),
    onSaved: (saved) => {
      settings = saved;
      toast.show("Settings saved.");
      void boot(); // other servers may mean another session
    },
  });
}

function showSignIn(): void {
  show(() =>
    signInView({
      settings,
      loadOptions: ipc.signInOptions,
      signInBrowser: ipc.signInBrowser,
      signInCancel: ipc.signInCancel,
      signInTestToken: ipc.signInTestToken,
      onSignedIn: (session) => {
        banner.clear();
        showApp(session);
      },
      report,
      clearError: () => banner.clear(),
      openSettings,
    }),
  );
}

function showApp(session: Session): void {
  const myId = String(session.user.userId);
  policy = null;
  let policyLoad: Promise<Policy> | null = null;
  const getPolicy = () =>
    (policyLoad ??= ipc.policyGet().then(
      (p) => (policy = p),
      (e: unknown) => {
        policyLoad = null; // try again next time
        throw e;
      },
    ));

  show(() => {
    let posts: PostsView | null = null;
    const uploads = uploadView({
      getPolicy,
      send: ipc.upload,
      listenProgress: ipc.onUploadProgress,
      describe: (e, filename) => describeError(e, errorContext("upload", { filename })),
      onUploaded: (post) => posts?.list.add(post),
      discard: ipc.postDelete,
      cancelSend: ipc.uploadCancel,
      // The rejected post stays on the server with its reason: show it in the grid.
      onRejected: () => void posts?.list.refresh(),
      onUnauthorized: expire,
    });

    const onDeleted = (post: Post, how: "deleted" | "gone") => {
      const card = posts?.card(post.id);
      const next = (card?.nextElementSibling ?? card?.previousElementSibling) as HTMLElement | null | undefined;
      const hadFocus = card !== undefined && (document.activeElement === card || document.activeElement === document.body);
      posts?.list.remove(post.id);
      if (hadFocus) next?.focus();
      if (how === "deleted") toast.show(`Deleted ${post.filename}.`);
    };

    posts = postsView({
      myId,
      isAdmin: session.user.role === "admin",
      remove: ipc.postDelete,
      notify: (message) => toast.show(message),
      describeDelete: (e) => describeError(e, errorContext("delete")),
      fetchPage: ipc.postsList,
      refreshPost: ipc.postGet,
      report: (e) => report(e, "load"),
      toolbarExtras: uploads.controls,
      belowToolbar: uploads.panel,
      open: (post) =>
        openPreview(post, {
          myId,
          getPost: ipc.postGet,
          download: ipc.postDownload,
          reveal: ipc.revealInFolder,
          openOriginal: ipc.postOpenOriginal,
          remove: ipc.postDelete,
          retitle: ipc.postRetitle,
          describe: (e, action) => describeError(e, errorContext(action, { filename: post.filename })),
          onUnauthorized: expire,
          onUpdated: (fresh) => posts?.list.update(fresh),
          onDeleted,
          neighbour: (shown, direction) => {
            const items = posts?.list.items() ?? [];
            const at = items.findIndex((p) => p.id === shown.id);
            return at < 0 ? undefined : items[at + direction];
          },
          copy: copyText,
        }),
    });

    const header = headerView({
      session,
      openSettings,
      openUsage: () =>
        openUsage({
          isAdmin: session.user.role === "admin",
          getUsage: ipc.usageGet,
          getStats: ipc.statsGet,
          describe: (e) => describeError(e, errorContext("load")),
          onUnauthorized: expire,
        }),
      openPeople:
        session.user.role === "admin"
          ? () =>
              openPeople({
                myId: session.user.userId,
                list: ipc.peopleList,
                update: ipc.personUpdate,
                getStats: () => ipc.statsGet(100),
                describe: (e) => describeError(e, errorContext("load")),
                onUnauthorized: expire,
              })
          : undefined,
      signOut: async () => {
        try {
          await ipc.signOut();
          banner.clear();
          showSignIn();
        } catch (e) {
          report(e, "signOut");
        }
      },
    });
    const view = posts;
    return {
      el: h("div", { class: "shell" }, header, h("main", { class: "content", id: "main" }, view.el), uploads.overlay),
      destroy() {
        uploads.destroy();
        view.destroy();
      },
    };
  });
}

/** The clipboard API where the webview grants it, else the older copy command. */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // not granted here: fall back
  }
  const area = h("textarea", { class: "visually-hidden", readonly: true });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("the clipboard is not available");
}

/** The auth service did not answer at start-up: keep the session and try again. */
function showOffline(): void {
  const what = settings ? `the auth service at ${settings.authUrl}` : "the auth service";
  show(() =>
    offlineView({
      what,
      openSettings,
      retry: async () => {
        try {
          const session = await ipc.sessionCurrent();
          if (session) showApp(session);
          else showSignIn();
        } catch (e) {
          if (isKind(e, "network")) throw e;
          showSignIn();
          report(e, "boot");
        }
      },
    }),
  );
}

async function boot(): Promise<void> {
  const [s, session] = await Promise.allSettled([ipc.settingsGet(), ipc.sessionCurrent()]);
  if (s.status === "fulfilled") settings = s.value;
  if (session.status === "fulfilled" && session.value) {
    showApp(session.value);
  } else if (session.status === "rejected" && isKind(session.reason, "network")) {
    showOffline();
  } else {
    showSignIn();
  }
  if (s.status === "rejected") report(s.reason, "boot");
  if (session.status === "rejected" && !isKind(session.reason, "network")) report(session.reason, "boot"); // unauthorized: "session expired"
}

window.addEventListener("unhandledrejection", (event) => {
  banner.show(describeError(event.reason, errorContext("boot")));
});

if (!ipc.inTauri() && import.meta.env.DEV) {
  document.body.appendChild(
    h("p", { class: "dev-note", role: "note" }, "Browser preview: fake data in memory, no server. The desktop app talks to imgup."),
  );
}

void boot();
