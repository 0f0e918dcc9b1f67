// The posts grid: status filter, cards appended page by page (never a full
// re-render), a sentinel that loads the next page, "Load more" as a fallback.
// Cards show the `thumb` variant over a BlurHash placeholder; `processing`
// posts are asked about again until they are ready or rejected.

import { h, icon } from "../dom";
import { formatBytes, formatDateTime, formatWhen, typeLabel } from "../format";
import { averageColor, placeholderUrl, thumbSource } from "../images";
import { PostsList, SORTS, STATUS_FILTERS, sortIdOf, sortOf, type PostsChange, type StatusFilter } from "../posts";
import { PendingDeletion, type DeletionResult } from "../deletion";
import { ProcessingPoller } from "../processing";
import { Selection } from "../selection";
import { confirmDialog } from "./confirm";
import type { Post, PostPage, PostQuery, PostStatus } from "../types";

const STATUS_LABEL: Record<PostStatus, string> = {
  pending: "Pending",
  processing: "Processing",
  ready: "Ready",
  rejected: "Rejected",
};
const FILTER_LABEL: Record<StatusFilter, string> = { all: "All", ...STATUS_LABEL };
const EMPTY_TEXT: Record<StatusFilter, string> = {
  all: "No images yet. Upload one with the Upload button, or drop image files anywhere on this window.",
  pending: "No pending posts: every upload has been checked.",
  processing: "Nothing is being processed right now.",
  ready: "No ready posts yet.",
  rejected: "No rejected posts.",
};

/** "you" for the signed-in user's own posts; otherwise the owner's name or email. */
export function ownerText(post: Pick<Post, "ownerId" | "ownerEmail" | "ownerName">, myId: string): string {
  if (post.ownerId === myId) return "you";
  return post.ownerName || post.ownerEmail || `user ${post.ownerId}`;
}

/** How long typing pauses before the search (or owner) is sent. */
export const SEARCH_DEBOUNCE_MS = 250;

export function statusBadge(post: Post): HTMLElement {
  const badge = h("span", { class: `badge badge-${post.status}` }, STATUS_LABEL[post.status] ?? post.status);
  if (post.status === "rejected" && post.rejectionReason) badge.title = post.rejectionReason;
  if (post.status === "processing") badge.title = "The server is checking and resizing this image";
  return badge;
}

const PLACEHOLDER_LABEL: Record<PostStatus, string> = {
  pending: "Not checked yet",
  processing: "Processing…",
  ready: "No image",
  rejected: "No image",
};

/** The placeholder for posts without a viewable image. */
export function placeholder(status: PostStatus): HTMLElement {
  const label = PLACEHOLDER_LABEL[status] ?? "No image";
  const name = status === "pending" || status === "processing" ? "clock" : status === "rejected" ? "alert" : "image";
  return h(
    "div",
    { class: "thumb-placeholder", role: "img", "aria-label": label },
    icon(name, "icon large"),
    status === "processing" ? h("span", { class: "thumb-label" }, label) : null,
  );
}

/**
 * The card's image box: the thumb (or the original) with the BlurHash (or its
 * average colour) behind it until it has loaded; a placeholder without one.
 */
export function renderThumb(post: Post): HTMLElement {
  const thumb = h("div", { class: "thumb" });
  const src = thumbSource(post);
  if (!src) {
    thumb.appendChild(placeholder(post.status));
    return thumb;
  }
  const color = averageColor(post.blurhash);
  const blur = placeholderUrl(post);
  if (color || blur) {
    thumb.classList.add("thumb-loading");
    if (color) thumb.style.backgroundColor = color;
    if (blur) thumb.style.backgroundImage = `url("${blur}")`;
  }
  const img = h("img", {
    src: src.url,
    alt: "",
    loading: "lazy",
    decoding: "async",
    draggable: "false",
    "data-kind": src.kind,
  });
  if (src.width && src.height) {
    img.width = src.width;
    img.height = src.height;
  }
  // The image covers the placeholder; then drop it (nothing left to paint behind).
  img.addEventListener("load", () => {
    thumb.classList.remove("thumb-loading");
    thumb.style.backgroundImage = "";
  });
  thumb.appendChild(img);
  return thumb;
}

export function renderCard(post: Post, myId: string, now: Date = new Date()): HTMLLIElement {
  const name = post.title || post.filename;
  const thumb = renderThumb(post);
  const owner = ownerText(post, myId);
  const status = (STATUS_LABEL[post.status] ?? post.status).toLowerCase();
  return h(
    "li",
    {
      class: "card",
      role: "option",
      "aria-selected": "false",
      tabindex: -1,
      "data-post-id": post.id,
      "data-status": post.status,
      "data-updated": post.updatedAt,
      "aria-haspopup": "dialog",
      "aria-label": `${name}, ${status}, by ${owner}, ${formatBytes(post.size)}`,
    },
    // For the mouse; the keyboard selects with Space (the option carries the state).
    h("input", { type: "checkbox", class: "card-check", tabindex: -1, "aria-hidden": "true", title: "Select" }),
    thumb,
    h(
      "div",
      { class: "card-body" },
      h("p", { class: "card-title", title: post.filename }, name),
      h(
        "p",
        { class: "card-meta" },
        statusBadge(post),
        h("span", { class: owner === "you" ? "owner owner-you" : "owner", title: post.ownerEmail ?? "" }, `by ${owner}`),
      ),
      h(
        "p",
        { class: "card-meta muted" },
        `${formatBytes(post.size)} · ${typeLabel(post.contentType)} · `,
        h("time", { datetime: post.createdAt, title: formatDateTime(post.createdAt) }, formatWhen(post.createdAt, now)),
      ),
      post.status === "rejected" && post.rejectionReason
        ? h("p", { class: "card-reason" }, post.rejectionReason)
        : null,
    ),
  );
}

export type PostsViewDeps = {
  myId: string;
  /** Deletes a post (bulk delete, the Delete key); without it, nothing is offered. */
  remove?: (id: number) => Promise<unknown>;
  /** A short confirmation ("Deleted 3 images."). */
  notify?: (message: string) => void;
  /** Words for a failed deletion. */
  describeDelete?: (error: unknown) => string;
  /** Admins see everyone's posts and may filter them by owner. */
  isAdmin?: boolean;
  fetchPage: (query: PostQuery) => Promise<PostPage>;
  /** A fresh post (fresh presigned URL), for a thumbnail whose link expired. */
  refreshPost: (id: number) => Promise<Post>;
  open: (post: Post) => void;
  report: (error: unknown) => void;
  /** Options of the poller that refreshes `processing` posts (tests shorten it). */
  poll?: { interval?: number; maxInterval?: number; steadyRounds?: number };
  /** Extra toolbar controls (the Upload button). */
  toolbarExtras?: Node[];
  /** Shown between the toolbar and the grid (the upload panel). */
  belowToolbar?: Node;
  observe?: boolean;
};

export type PostsView = {
  el: HTMLElement;
  list: PostsList;
  /** The card of a post, when shown. */
  card(id: number): HTMLElement | undefined;
  poller: ProcessingPoller;
  destroy(): void;
};

export function postsView(deps: PostsViewDeps): PostsView {
  const cards = new Map<number, HTMLLIElement>();
  const grid = h("ul", {
    id: "posts-grid",
    class: "grid",
    role: "listbox",
    "aria-multiselectable": "true",
    "aria-label": "Posts (arrows move, Enter opens, Space or Ctrl-click selects, Delete deletes)",
  });
  const selectionCount = h("span", { id: "selection-count" });
  const selectAll = h("button", { type: "button", class: "button small", id: "select-all" }, "Select all loaded");
  const clearSelection = h("button", { type: "button", class: "button small", id: "clear-selection" }, "Clear");
  const bulkDelete = h("button", { type: "button", class: "button small danger-outline", id: "bulk-delete", hidden: !deps.remove }, icon("trash"), "Delete…");
  const selectionBar = h(
    "div",
    { id: "selection-bar", class: "selection-bar", role: "region", "aria-label": "Selection", hidden: true },
    selectionCount,
    selectAll,
    clearSelection,
    bulkDelete,
  );
  const undoText = h("span", { id: "undo-text" });
  const undoButton = h("button", { type: "button", class: "button small", id: "undo-delete" }, "Undo");
  const undoBar = h("div", { id: "undo-bar", class: "selection-bar undo-bar", role: "status", hidden: true }, undoText, undoButton);
  const statusLine = h("p", { id: "posts-status", class: "muted", role: "status" });
  const empty = h("div", { class: "empty", hidden: true }, icon("image", "icon large"), h("p", null));
  const loadMore = h("button", { type: "button", class: "button", id: "load-more", hidden: true }, "Load more");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const endNote = h("p", { class: "end-note muted", hidden: true }, "That's everything.");

  const filterButtons = STATUS_FILTERS.map((f) =>
    h("button", { type: "button", class: "segment", "data-filter": f, "aria-pressed": f === "all" ? "true" : "false" }, FILTER_LABEL[f]),
  );
  const filter = h("div", { id: "status-filter", class: "segmented", role: "group", "aria-label": "Show posts" }, ...filterButtons);
  const refresh = h("button", { type: "button", class: "button", id: "refresh-posts" }, icon("refresh"), "Refresh");
  const search = h("input", {
    type: "search",
    id: "post-search",
    class: "input search-input",
    placeholder: "Search   /",
    "aria-label": "Search posts by filename or title",
    "aria-keyshortcuts": "/",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: 200,
  });
  const sortSelect = h(
    "select",
    { id: "post-sort", class: "input", "aria-label": "Sort posts" },
    ...SORTS.map((s) => h("option", { value: s.id }, s.label)),
  );
  const ownerInput = deps.isAdmin
    ? h("input", {
        type: "search",
        id: "post-owner",
        class: "input owner-input",
        placeholder: "Owner email or id",
        "aria-label": "Show only the posts of this owner (email or user id)",
        autocomplete: "off",
        spellcheck: "false",
      })
    : null;

  let lastError: unknown = null;

  const onChange = (change: PostsChange) => {
    switch (change.type) {
      case "reset":
        cards.clear();
        grid.replaceChildren();
        current = null;
        selection.clear();
        break;
      case "append": {
        const now = new Date();
        const fragment = document.createDocumentFragment();
        for (const post of change.posts) {
          const card = renderCard(post, deps.myId, now);
          cards.set(post.id, card);
          decorate(card, post.id);
          fragment.appendChild(card);
        }
        grid.appendChild(fragment);
        settleFocus();
        break;
      }
      case "prepend": {
        const card = renderCard(change.post, deps.myId);
        card.classList.add("card-new");
        cards.set(change.post.id, card);
        decorate(card, change.post.id);
        grid.prepend(card);
        settleFocus();
        break;
      }
      case "swap": {
        // Cards whose post did not change stay (their image already painted),
        // so the grid and its scroll position stay put.
        const now = new Date();
        const keep = new Map(cards);
        cards.clear();
        const fresh = change.posts.map((post) => {
          const old = keep.get(post.id);
          const same = old && old.dataset.updated === post.updatedAt && old.dataset.status === post.status;
          const card = same ? old : renderCard(post, deps.myId, now);
          cards.set(post.id, card);
          decorate(card, post.id);
          return card;
        });
        const hadFocus = grid.contains(document.activeElement) ? current : null;
        grid.replaceChildren(...fresh);
        selection.keepOnly(order());
        settleFocus();
        if (hadFocus !== null) cards.get(hadFocus)?.focus();
        break;
      }
      case "remove": {
        const gone = cards.get(change.id);
        const next = gone && visibleSibling(gone);
        const hadFocus = gone !== undefined && gone.contains(document.activeElement);
        gone?.remove();
        cards.delete(change.id);
        selection.keepOnly(order());
        if (current === change.id) current = next ? Number(next.dataset.postId) : null;
        settleFocus();
        if (hadFocus) next?.focus();
        break;
      }
      case "replace": {
        const old = cards.get(change.post.id);
        if (!old) break;
        const card = renderCard(change.post, deps.myId);
        const hadFocus = document.activeElement === old;
        decorate(card, change.post.id);
        old.replaceWith(card);
        cards.set(change.post.id, card);
        if (hadFocus) card.focus();
        break;
      }
      case "status":
        renderStatus();
        break;
    }
  };

  // Selection, the one Tab stop of the grid (`current`), and deletions that can be undone.
  const selection = new Selection(() => renderSelection());
  let current: number | null = null;
  const hiding = new Set<number>();
  let pending: PendingDeletion | null = null;
  const order = () => list.items().map((p) => p.id).filter((id) => !hiding.has(id));
  const visibleSibling = (card: HTMLElement): HTMLElement | null => {
    for (const dir of ["nextElementSibling", "previousElementSibling"] as const) {
      let el = card[dir] as HTMLElement | null;
      while (el && el.hidden) el = el[dir] as HTMLElement | null;
      if (el) return el;
    }
    return null;
  };
  function decorate(card: HTMLElement, id: number): void {
    const selected = selection.has(id);
    card.setAttribute("aria-selected", String(selected));
    card.classList.toggle("card-selected", selected);
    (card.querySelector(".card-check") as HTMLInputElement).checked = selected;
    card.hidden = hiding.has(id);
    card.tabIndex = id === current ? 0 : -1;
  }
  /** Exactly one card is in the Tab order: the current one, else the first shown. */
  function settleFocus(): void {
    if (current === null || !cards.has(current) || hiding.has(current)) current = order()[0] ?? null;
    for (const [id, card] of cards) card.tabIndex = id === current ? 0 : -1;
  }
  function renderSelection(): void {
    for (const [id, card] of cards) decorate(card, id);
    const n = selection.size();
    selectionBar.hidden = n === 0;
    grid.classList.toggle("selecting", n > 0);
    selectionCount.textContent = `${n} selected`;
  }
  function moveTo(id: number | undefined): void {
    if (id === undefined) return;
    current = id;
    settleFocus();
    const card = cards.get(id);
    card?.focus();
    card?.scrollIntoView?.({ block: "nearest" });
  }
  /** Cards a row holds now (the grid wraps with the window). */
  function columns(): number {
    const shown = [...cards.values()].filter((c) => !c.hidden);
    const top = shown[0]?.offsetTop;
    const inRow = shown.findIndex((c) => c.offsetTop !== top);
    return inRow > 0 ? inRow : Math.max(1, shown.length);
  }
  const finish = (result: DeletionResult) => {
    pending = null;
    undoBar.hidden = true;
    for (const id of result.deleted) {
      hiding.delete(id);
      list.remove(id);
    }
    for (const { id } of result.failed) {
      hiding.delete(id);
      const card = cards.get(id);
      if (card) decorate(card, id);
    }
    settleFocus();
    const n = result.deleted.length;
    if (n) deps.notify?.(`Deleted ${n} ${n === 1 ? "image" : "images"}.`);
    if (result.failed.length) {
      deps.report(result.failed[0]!.error);
    }
  };
  /** Asks once, hides the posts, and deletes them when the undo window has passed. */
  async function deleteMany(ids: number[]): Promise<void> {
    if (!deps.remove || ids.length === 0) return;
    const one = ids.length === 1 ? list.get(ids[0]!) : undefined;
    const what = one ? one.filename : `${ids.length} images`;
    const confirmed = await confirmDialog({
      title: ids.length === 1 ? "Delete image" : `Delete ${ids.length} images`,
      message: `Delete ${what}? You can undo for a few seconds; then they are removed for good.`,
      confirmLabel: ids.length === 1 ? "Delete" : `Delete ${ids.length}`,
      busyLabel: "Deleting…",
      confirmId: "confirm-bulk-delete",
      cancelId: "cancel-bulk-delete",
      danger: true,
      describe: deps.describeDelete ?? String,
      action: async () => {},
    });
    if (!confirmed) return;
    if (pending) await pending.run(); // one undo at a time: the earlier one goes now
    for (const id of ids) hiding.add(id);
    selection.keepOnly(order());
    renderSelection();
    settleFocus();
    cards.get(current ?? -1)?.focus();
    undoText.textContent = `Deleting ${what}…`;
    undoBar.hidden = false;
    undoButton.focus();
    pending = new PendingDeletion(ids, { remove: deps.remove, onDone: finish });
  }
  undoButton.addEventListener("click", () => {
    if (!pending?.undo()) return;
    const ids = pending.ids;
    pending = null;
    undoBar.hidden = true;
    for (const id of ids) hiding.delete(id);
    renderSelection();
    settleFocus();
    moveTo(ids[0]);
    deps.notify?.("Nothing was deleted.");
  });
  selectAll.addEventListener("click", () => selection.selectAll(order()));
  clearSelection.addEventListener("click", () => selection.clear());
  bulkDelete.addEventListener("click", () => void deleteMany(selection.inOrder(order())));

  const list = new PostsList(deps.fetchPage, (change) => {
    onChange(change);
    if (change.type !== "status") poller.kick();
  });
  const poller = new ProcessingPoller({
    processing: () => list.processingIds(),
    fetch: deps.refreshPost,
    onSettled: (post) => list.update(post),
    onGone: (id) => list.remove(id),
    onFatal: (error) => deps.report(error),
    ...deps.poll,
  });

  function renderStatus(): void {
    const s = list.status();
    for (const b of filterButtons) b.setAttribute("aria-pressed", String(b.dataset.filter === s.filter));
    grid.setAttribute("aria-busy", String(s.loading));
    refresh.disabled = s.loading && !s.loadedOnce;

    const failed = s.error !== null;
    if (failed && s.error !== lastError) deps.report(s.error);
    lastError = s.error;

    if (s.loading && !s.loadedOnce) statusLine.textContent = "Loading posts…";
    else if (failed && !s.loadedOnce) statusLine.textContent = "Couldn't load the posts.";
    else if (s.count === 0) statusLine.textContent = "";
    else statusLine.textContent = `${s.count} ${s.count === 1 ? "post" : "posts"}${s.exhausted ? "" : " so far"}`;

    empty.hidden = !(s.loadedOnce && s.exhausted && s.count === 0);
    const narrowed = s.view.q.trim() || s.view.owner.trim();
    empty.querySelector("p")!.textContent = narrowed ? "No posts match the search." : EMPTY_TEXT[s.filter];
    sortSelect.value = sortIdOf(s.view);

    loadMore.hidden = s.exhausted || (!s.loadedOnce && !failed);
    loadMore.disabled = s.loading;
    loadMore.textContent = s.loading ? "Loading…" : failed ? "Try again" : "Load more";
    endNote.hidden = !(s.exhausted && s.count > 0);

    // A fresh look at the sentinel: if it is still on screen after this page, load the next.
    if (observer && list.canAutoLoad()) {
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  }

  const observer =
    deps.observe !== false && typeof IntersectionObserver !== "undefined"
      ? new IntersectionObserver(
          (entries) => {
            if (entries.some((e) => e.isIntersecting) && list.canAutoLoad()) void list.loadMore();
          },
          { rootMargin: "0px 0px 800px 0px" },
        )
      : null;

  filter.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLElement>("[data-filter]");
    if (button) void list.setFilter(button.dataset.filter as StatusFilter);
  });
  refresh.addEventListener("click", () => void list.refresh());
  const debounced = (input: HTMLInputElement, apply: (value: string) => void) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => apply(input.value), SEARCH_DEBOUNCE_MS);
    });
    // Enter (or the clear button of a search field) applies at once.
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      clearTimeout(timer);
      apply(input.value);
    });
    input.addEventListener("search", () => {
      clearTimeout(timer);
      apply(input.value);
    });
  };
  debounced(search, (q) => void list.setView({ q }));
  if (ownerInput) debounced(ownerInput, (owner) => void list.setView({ owner }));
  sortSelect.addEventListener("change", () => void list.setView(sortOf(sortSelect.value)));
  // "/" anywhere but in a text field focuses the search, as on most sites.
  const slash = (event: KeyboardEvent) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable='true'], dialog")) return;
    event.preventDefault();
    search.focus();
    search.select();
  };
  document.addEventListener("keydown", slash);
  loadMore.addEventListener("click", () => void list.loadMore());

  const openFrom = (target: EventTarget | null) => {
    const card = (target as Element | null)?.closest<HTMLElement>("[data-post-id]");
    const post = card && list.get(Number(card.dataset.postId));
    if (post) deps.open(post);
  };
  grid.addEventListener("click", (event) => {
    const target = event.target as Element;
    const card = target.closest<HTMLElement>("[data-post-id]");
    if (!card) return;
    const id = Number(card.dataset.postId);
    current = id;
    settleFocus();
    if (event.shiftKey) {
      event.preventDefault();
      selection.extendTo(id, order());
    } else if (event.ctrlKey || event.metaKey || target.matches(".card-check")) {
      selection.toggle(id);
    } else {
      openFrom(card);
    }
  });
  grid.addEventListener("keydown", (event) => {
    const card = (event.target as Element).closest<HTMLElement>("[data-post-id]");
    if (!card) return;
    const ids = order();
    const at = ids.indexOf(Number(card.dataset.postId));
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
    if (event.key in step) {
      event.preventDefault();
      const to = Math.min(ids.length - 1, Math.max(0, at + step[event.key]!));
      if (event.shiftKey) selection.extendTo(ids[to]!, ids);
      moveTo(ids[to]);
      if (to >= ids.length - columns() && list.canAutoLoad()) void list.loadMore();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      moveTo(event.key === "Home" ? ids[0] : ids[ids.length - 1]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      openFrom(card);
    } else if (event.key === " ") {
      event.preventDefault();
      selection.toggle(Number(card.dataset.postId));
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      const chosen = selection.size() ? selection.inOrder(ids) : [Number(card.dataset.postId)];
      void deleteMany(chosen);
    } else if (event.key === "Escape" && selection.size()) {
      event.preventDefault();
      selection.clear();
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "a") {
      event.preventDefault();
      selection.selectAll(ids);
    }
  });
  // A presigned thumbnail URL lasts minutes; when one has expired, ask for a fresh one (once).
  grid.addEventListener(
    "error",
    (event) => {
      const img = event.target;
      if (!(img instanceof HTMLImageElement) || img.dataset.retried) return;
      img.dataset.retried = "true";
      const card = img.closest<HTMLElement>("[data-post-id]");
      if (!card) return;
      deps.refreshPost(Number(card.dataset.postId)).then(
        (post) => {
          const src = thumbSource(post);
          if (src) img.src = src.url;
        },
        () => img.replaceWith(placeholder("ready")),
      );
    },
    true,
  );

  const el = h(
    "section",
    { class: "posts", "aria-labelledby": "posts-title" },
    h(
      "div",
      { class: "toolbar" },
      h("h1", { id: "posts-title", class: "toolbar-title" }, "Posts"),
      filter,
      h("div", { class: "toolbar-spacer" }),
      search,
      ownerInput,
      sortSelect,
      refresh,
      ...(deps.toolbarExtras ?? []),
    ),
    deps.belowToolbar ?? null,
    statusLine,
    selectionBar,
    undoBar,
    grid,
    empty,
    h("div", { class: "grid-footer" }, sentinel, loadMore, endNote),
  );

  if (observer) observer.observe(sentinel);
  void list.reload();

  return {
    el,
    list,
    card: (id) => cards.get(id),
    poller,
    destroy() {
      void pending?.run(); // leaving the grid keeps what was asked
      document.removeEventListener("keydown", slash);
      observer?.disconnect();
      poller.stop();
    },
  };
}
