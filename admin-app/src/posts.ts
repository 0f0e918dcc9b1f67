// The posts list: filter, pages on demand, and the changes the grid applies
// one by one (append / prepend / remove / replace) instead of re-rendering.

import type { Post, PostPage, PostQuery, PostStatus } from "./types";

export type StatusFilter = "all" | PostStatus;
export const STATUS_FILTERS: readonly StatusFilter[] = ["all", "pending", "processing", "ready", "rejected"];
export const PAGE_SIZE = 50;

export type PostsChange =
  | { type: "reset" }
  | { type: "append"; posts: Post[] }
  | { type: "prepend"; post: Post }
  | { type: "remove"; id: number }
  | { type: "replace"; post: Post }
  /** loading / error / exhausted changed */
  | { type: "status" };

export type PostsStatus = {
  filter: StatusFilter;
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
  private filter: StatusFilter = "all";
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
      filter: this.filter,
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

  /** A new filter starts from the first page; the same filter does nothing. */
  setFilter(filter: StatusFilter): Promise<void> {
    if (filter === this.filter && (this.loadedOnce || this.loading)) return Promise.resolve();
    this.filter = filter;
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

  /** The next page, unless one is on its way or there is none. */
  async loadMore(): Promise<void> {
    if (this.loading || this.exhausted) return;
    const generation = this.generation;
    const query: PostQuery = { limit: this.pageSize };
    if (this.filter !== "all") query.status = this.filter;
    if (this.cursor) query.cursor = this.cursor;
    this.loading = true;
    this.error = null;
    this.onChange({ type: "status" });
    let page: PostPage;
    try {
      page = await this.fetchPage(query);
    } catch (error) {
      if (generation !== this.generation) return;
      this.loading = false;
      this.error = error ?? new Error("failed");
      this.onChange({ type: "status" });
      return;
    }
    if (generation !== this.generation) return; // the filter changed meanwhile
    this.loading = false;
    this.loadedOnce = true;
    this.cursor = page.nextCursor;
    this.exhausted = page.nextCursor === null;
    const fresh = page.items.filter((p) => matchesFilter(p, this.filter) && !this.ids.has(p.id));
    for (const p of fresh) {
      this.ids.add(p.id);
      this.posts.push(p);
    }
    if (fresh.length) this.onChange({ type: "append", posts: fresh });
    this.onChange({ type: "status" });
  }

  /** A post made here (an upload): on top, when the filter shows it. */
  add(post: Post): boolean {
    if (!matchesFilter(post, this.filter) || this.ids.has(post.id)) return false;
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
    if (!matchesFilter(post, this.filter)) {
      this.remove(post.id);
      return;
    }
    this.posts[index] = post;
    this.onChange({ type: "replace", post });
  }
}
