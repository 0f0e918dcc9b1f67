// The posts list: what is shown (status, search, owner, sort), pages on
// demand, and the changes the grid applies one by one (append / prepend /
// remove / replace) instead of re-rendering.

import type { Post, PostPage, PostQuery, PostStatus, SortKey, SortOrder } from "./types";

export type StatusFilter = "all" | PostStatus;
export const STATUS_FILTERS: readonly StatusFilter[] = ["all", "pending", "processing", "ready", "rejected"];
export const PAGE_SIZE = 50;

/** What the list shows; the server filters and sorts, the list keeps it across refreshes. */
export type ListView = {
  status: StatusFilter;
  /** A piece of the filename or title ("" for all). */
  q: string;
  /** A user id or email (admins; "" for everyone). */
  owner: string;
  sort: SortKey;
  order: SortOrder;
};
export const DEFAULT_VIEW: ListView = { status: "all", q: "", owner: "", sort: "created", order: "desc" };

/** The sorts offered, by the name the UI gives them. */
export const SORTS = [
  { id: "newest", label: "Newest first", sort: "created", order: "desc" },
  { id: "oldest", label: "Oldest first", sort: "created", order: "asc" },
  { id: "largest", label: "Largest first", sort: "size", order: "desc" },
  { id: "smallest", label: "Smallest first", sort: "size", order: "asc" },
  { id: "name", label: "Name A–Z", sort: "filename", order: "asc" },
  { id: "name-desc", label: "Name Z–A", sort: "filename", order: "desc" },
] as const satisfies readonly { id: string; label: string; sort: SortKey; order: SortOrder }[];
export type SortId = (typeof SORTS)[number]["id"];

export function sortOf(id: string): { sort: SortKey; order: SortOrder } {
  const found = SORTS.find((s) => s.id === id) ?? SORTS[0];
  return { sort: found.sort, order: found.order };
}

export function sortIdOf(view: Pick<ListView, "sort" | "order">): SortId {
  return (SORTS.find((s) => s.sort === view.sort && s.order === view.order) ?? SORTS[0]).id;
}

/** The request for a page of `view` (only what differs from the server's defaults). */
export function queryFor(view: ListView, limit: number, cursor: string | null): PostQuery {
  const query: PostQuery = { limit };
  if (view.status !== "all") query.status = view.status;
  const q = view.q.trim();
  if (q) query.q = q;
  const owner = view.owner.trim();
  if (owner) query.owner = owner;
  if (view.sort !== "created" || view.order !== "desc") {
    query.sort = view.sort;
    query.order = view.order;
  }
  if (cursor) query.cursor = cursor;
  return query;
}

/** Whether `post` belongs in `view`, as the server would decide (for posts changed here). */
export function matchesView(post: Post, view: ListView): boolean {
  if (!matchesFilter(post, view.status)) return false;
  const q = view.q.trim().toLowerCase();
  if (q && !post.filename.toLowerCase().includes(q) && !(post.title ?? "").toLowerCase().includes(q)) return false;
  const owner = view.owner.trim().toLowerCase();
  if (owner && post.ownerId.toLowerCase() !== owner && (post.ownerEmail ?? "").toLowerCase() !== owner) return false;
  return true;
}

export type PostsChange =
  | { type: "reset" }
  | { type: "append"; posts: Post[] }
  | { type: "prepend"; post: Post }
  | { type: "remove"; id: number }
  | { type: "replace"; post: Post }
  /** The whole list again, fresh from the server, in place of the old (a refresh). */
  | { type: "swap"; posts: Post[] }
  /** loading / error / exhausted changed */
  | { type: "status" };

export type PostsStatus = {
  filter: StatusFilter;
  view: ListView;
  count: number;
  loading: boolean;
  /** The server said there is nothing more (nextCursor null). */
  exhausted: boolean;
  /** At least one page arrived since the last reset. */
  loadedOnce: boolean;
  error: unknown;
};

export function matchesFilter(post: Post, filter: StatusFilter): boolean {
  return filter === "all" || post.status === filter;
}

export class PostsList {
  private view: ListView = DEFAULT_VIEW;
  private posts: Post[] = [];
  private ids = new Set<number>();
  private cursor: string | null = null;
  private loading = false;
  private exhausted = false;
  private loadedOnce = false;
  private error: unknown = null;
  /** Bumped on every reset, so a page that was asked for before it is dropped. */
  private generation = 0;

  constructor(
    private readonly fetchPage: (query: PostQuery) => Promise<PostPage>,
    private readonly onChange: (change: PostsChange) => void,
    private readonly pageSize: number = PAGE_SIZE,
  ) {}

  status(): PostsStatus {
    return {
      filter: this.view.status,
      view: this.view,
      count: this.posts.length,
      loading: this.loading,
      exhausted: this.exhausted,
      loadedOnce: this.loadedOnce,
      error: this.error,
    };
  }

  items(): readonly Post[] {
    return this.posts;
  }

  get(id: number): Post | undefined {
    return this.posts.find((p) => p.id === id);
  }

  /** Ids of the shown posts that the server is still processing. */
  processingIds(): number[] {
    return this.posts.filter((p) => p.status === "processing").map((p) => p.id);
  }

  /** Whether the sentinel may load the next page by itself (not after an error: the button retries). */
  canAutoLoad(): boolean {
    return !this.loading && !this.exhausted && this.error === null;
  }

  /** A new status filter starts from the first page; the same filter does nothing. */
  setFilter(filter: StatusFilter): Promise<void> {
    return this.setView({ status: filter });
  }

  /** A changed view (search, owner, sort, status) starts from the first page; the same view does nothing. */
  setView(change: Partial<ListView>): Promise<void> {
    const view = { ...this.view, ...change };
    const same = (Object.keys(view) as (keyof ListView)[]).every((k) => view[k] === this.view[k]);
    if (same && (this.loadedOnce || this.loading)) return Promise.resolve();
    this.view = view;
    return this.reload();
  }

  /** Drops everything and loads the first page again. */
  reload(): Promise<void> {
    this.generation += 1;
    this.posts = [];
    this.ids.clear();
    this.cursor = null;
    this.loading = false;
    this.exhausted = false;
    this.loadedOnce = false;
    this.error = null;
    this.onChange({ type: "reset" });
    return this.loadMore();
  }

  /**
   * Asks again for what is shown (up to 100 posts) and swaps it in at once,
   * without emptying the list first; the same view. A failure keeps the list.
   */
  async refresh(): Promise<void> {
    if (!this.loadedOnce) return this.reload();
    if (this.loading) return;
    const limit = Math.min(100, Math.max(this.pageSize, this.posts.length));
    const page = await this.fetch(queryFor(this.view, limit, null), ++this.generation);
    if (!page) return;
    const seen = new Set<number>();
    this.posts = page.items.filter((p) => matchesFilter(p, this.view.status) && !seen.has(p.id) && seen.add(p.id));
    this.ids = seen;
    this.cursor = page.nextCursor;
    this.exhausted = page.nextCursor === null;
    this.onChange({ type: "swap", posts: this.posts });
    this.onChange({ type: "status" });
  }

  /**
   * One page for the list as it is at `generation`: `null` when it failed
   * (the error is kept and shown) or the list changed meanwhile (dropped).
   */
  private async fetch(query: PostQuery, generation: number): Promise<PostPage | null> {
    this.loading = true;
    this.error = null;
    this.onChange({ type: "status" });
    try {
      const page = await this.fetchPage(query);
      if (generation !== this.generation) return null; // the view changed meanwhile
      this.loading = false;
      return page;
    } catch (error) {
      if (generation !== this.generation) return null;
      this.loading = false;
      this.error = error ?? new Error("failed");
      this.onChange({ type: "status" });
      return null;
    }
  }

  /** The next page, unless one is on its way or there is none. */
  async loadMore(): Promise<void> {
    if (this.loading || this.exhausted) return;
    const page = await this.fetch(queryFor(this.view, this.pageSize, this.cursor), this.generation);
    if (!page) return;
    this.loadedOnce = true;
    this.cursor = page.nextCursor;
    this.exhausted = page.nextCursor === null;
    const fresh = page.items.filter((p) => matchesFilter(p, this.view.status) && !this.ids.has(p.id));
    for (const p of fresh) {
      this.ids.add(p.id);
      this.posts.push(p);
    }
    if (fresh.length) this.onChange({ type: "append", posts: fresh });
    this.onChange({ type: "status" });
  }

  /** A post made here (an upload): on top, when the view shows it and is newest first. */
  add(post: Post): boolean {
    const newestFirst = this.view.sort === "created" && this.view.order === "desc";
    if (!newestFirst || !matchesView(post, this.view) || this.ids.has(post.id)) return false;
    this.ids.add(post.id);
    this.posts.unshift(post);
    this.onChange({ type: "prepend", post });
    this.onChange({ type: "status" });
    return true;
  }

  remove(id: number): boolean {
    if (!this.ids.delete(id)) return false;
    this.posts = this.posts.filter((p) => p.id !== id);
    this.onChange({ type: "remove", id });
    this.onChange({ type: "status" });
    return true;
  }

  /** Fresher data for a post already shown (e.g. from the preview); gone when it no longer matches. */
  update(post: Post): void {
    const index = this.posts.findIndex((p) => p.id === post.id);
    if (index < 0) return;
    if (!matchesView(post, this.view)) {
      this.remove(post.id);
      return;
    }
    this.posts[index] = post;
    this.onChange({ type: "replace", post });
  }
}
