import { describe, expect, it } from "vitest";
import { DEFAULT_VIEW, matchesFilter, matchesView, PostsList, queryFor, sortIdOf, sortOf, type PostsChange } from "./posts";
import { deferred, flush, makePost } from "./test-support";
import type { PostPage, PostQuery } from "./types";

function setup(pageSize = 2) {
  const calls: { query: PostQuery; reply: ReturnType<typeof deferred<PostPage>> }[] = [];
  const changes: PostsChange[] = [];
  const list = new PostsList(
    (query) => {
      const reply = deferred<PostPage>();
      calls.push({ query, reply });
      return reply.promise;
    },
    (c) => changes.push(c),
    pageSize,
  );
  const ids = () => list.items().map((p) => p.id);
  return { list, calls, changes, ids };
}

describe("PostsList pagination", () => {
  it("asks for the first page, then the next with the previous nextCursor, appending", async () => {
    const t = setup();
    void t.list.reload();
    expect(t.calls[0]!.query).toEqual({ limit: 2 });
    t.calls[0]!.reply.resolve({ items: [makePost(9), makePost(8)], nextCursor: "c8" });
    await flush();
    expect(t.ids()).toEqual([9, 8]);
    void t.list.loadMore();
    expect(t.calls[1]!.query).toEqual({ limit: 2, cursor: "c8" });
    t.calls[1]!.reply.resolve({ items: [makePost(7), makePost(6)], nextCursor: "c6" });
    await flush();
    expect(t.ids()).toEqual([9, 8, 7, 6]);
    const appends = t.changes.filter((c) => c.type === "append");
    expect(appends.map((c) => c.type === "append" && c.posts.map((p) => p.id))).toEqual([[9, 8], [7, 6]]);
  });

  it("uses a first page of 50 by default", () => {
    const queries: PostQuery[] = [];
    const list = new PostsList(async (q) => (queries.push(q), { items: [], nextCursor: null }), () => {});
    void list.reload();
    expect(queries[0]).toEqual({ limit: 50 });
  });

  it("stops when nextCursor is null", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(1)], nextCursor: null });
    await flush();
    expect(t.list.status().exhausted).toBe(true);
    await t.list.loadMore();
    expect(t.calls).toHaveLength(1);
    expect(t.list.canAutoLoad()).toBe(false);
  });

  it("asks for one page at a time", () => {
    const t = setup();
    void t.list.reload();
    void t.list.loadMore();
    void t.list.loadMore();
    expect(t.calls).toHaveLength(1);
  });

  it("a filter change starts again from the first page, with the status", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(9), makePost(8, { status: "pending" })], nextCursor: "c8" });
    await flush();
    t.changes.length = 0;
    void t.list.setFilter("pending");
    expect(t.changes[0]).toEqual({ type: "reset" });
    expect(t.ids()).toEqual([]);
    expect(t.calls[1]!.query).toEqual({ limit: 2, status: "pending" });
    expect(t.list.status().filter).toBe("pending");
  });

  it("drops a page that arrives after the filter changed", async () => {
    const t = setup();
    void t.list.reload();
    void t.list.setFilter("rejected");
    t.calls[0]!.reply.resolve({ items: [makePost(9)], nextCursor: "old" });
    t.calls[1]!.reply.resolve({ items: [makePost(3, { status: "rejected" })], nextCursor: null });
    await flush();
    expect(t.ids()).toEqual([3]);
    expect(t.list.status().exhausted).toBe(true);
  });

  it("choosing the filter already shown does not reload", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(1)], nextCursor: "c" });
    await flush();
    await t.list.setFilter("all");
    expect(t.calls).toHaveLength(1);
  });

  it("after a failed page, keeps what it has, stops auto-loading, and retries on request", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(5)], nextCursor: "c5" });
    await flush();
    void t.list.loadMore();
    t.calls[1]!.reply.reject({ kind: "network", message: "down" });
    await flush();
    expect(t.ids()).toEqual([5]);
    expect(t.list.status().error).toEqual({ kind: "network", message: "down" });
    expect(t.list.canAutoLoad()).toBe(false);
    void t.list.loadMore();
    expect(t.calls[2]!.query.cursor).toBe("c5");
    expect(t.list.status().error).toBeNull();
  });

  it("does not show a post twice", async () => {
    const t = setup();
    void t.list.reload();
    t.list.add(makePost(10)); // an upload that finished before the first page came
    t.calls[0]!.reply.resolve({ items: [makePost(10), makePost(9)], nextCursor: null });
    await flush();
    expect(t.ids()).toEqual([10, 9]);
  });
});

describe("PostsList changes made here", () => {
  it("puts a new upload on top only when the filter shows it", async () => {
    const t = setup();
    void t.list.setFilter("pending");
    t.calls[0]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(t.list.add(makePost(20, { status: "ready" }))).toBe(false);
    void t.list.setFilter("all");
    t.calls[1]!.reply.resolve({ items: [makePost(5)], nextCursor: null });
    await flush();
    expect(t.list.add(makePost(20))).toBe(true);
    expect(t.ids()).toEqual([20, 5]);
    expect(t.changes).toContainEqual({ type: "prepend", post: makePost(20) });
  });

  it("removes a deleted post", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(2), makePost(1)], nextCursor: null });
    await flush();
    expect(t.list.remove(2)).toBe(true);
    expect(t.ids()).toEqual([1]);
    expect(t.list.remove(2)).toBe(false);
  });

  it("replaces a post with fresher data, and drops it when it no longer matches", async () => {
    const t = setup();
    void t.list.setFilter("pending");
    t.calls[0]!.reply.resolve({ items: [makePost(4, { status: "pending" })], nextCursor: null });
    await flush();
    t.list.update(makePost(4, { status: "pending", title: "Cat" }));
    expect(t.list.get(4)?.title).toBe("Cat");
    t.list.update(makePost(4, { status: "ready" }));
    expect(t.ids()).toEqual([]);
  });

  it("matchesFilter", () => {
    expect(matchesFilter(makePost(1, { status: "rejected" }), "all")).toBe(true);
    expect(matchesFilter(makePost(1, { status: "rejected" }), "ready")).toBe(false);
  });
});

describe("PostsList views: search, owner, sort", () => {
  it("asks only for what differs from the server's defaults", () => {
    expect(queryFor(DEFAULT_VIEW, 50, null)).toEqual({ limit: 50 });
    expect(
      queryFor({ status: "ready", q: " cat ", owner: " a@b.c ", sort: "filename", order: "asc" }, 20, "c1"),
    ).toEqual({ limit: 20, status: "ready", q: "cat", owner: "a@b.c", sort: "filename", order: "asc", cursor: "c1" });
  });

  it("a changed view starts from the first page; the same view does nothing", async () => {
    const t = setup();
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(1)], nextCursor: null });
    await flush();
    void t.list.setView({ q: "cat", sort: "size", order: "asc" });
    expect(t.calls[1]!.query).toEqual({ limit: 2, q: "cat", sort: "size", order: "asc" });
    expect(t.ids()).toEqual([]);
    t.calls[1]!.reply.resolve({ items: [makePost(5, { filename: "cat.png" })], nextCursor: null });
    await flush();
    await t.list.setView({ q: "cat" });
    expect(t.calls).toHaveLength(2);
    expect(t.list.status().view).toEqual({ ...DEFAULT_VIEW, q: "cat", sort: "size", order: "asc" });
  });

  it("matches a post as the server would: status, a piece of the name or title, the owner", () => {
    const post = makePost(1, { filename: "Beach.PNG", title: "Summer", ownerId: "7", ownerEmail: "Grace@Example.com" });
    expect(matchesView(post, { ...DEFAULT_VIEW, q: "beach" })).toBe(true);
    expect(matchesView(post, { ...DEFAULT_VIEW, q: "SUMM" })).toBe(true);
    expect(matchesView(post, { ...DEFAULT_VIEW, q: "winter" })).toBe(false);
    expect(matchesView(post, { ...DEFAULT_VIEW, owner: "grace@example.com" })).toBe(true);
    expect(matchesView(post, { ...DEFAULT_VIEW, owner: "7" })).toBe(true);
    expect(matchesView(post, { ...DEFAULT_VIEW, owner: "8" })).toBe(false);
    expect(matchesView(post, { ...DEFAULT_VIEW, status: "pending" })).toBe(false);
  });

  it("puts an upload on top only in the newest-first order, and only when it matches the search", async () => {
    const t = setup();
    void t.list.setView({ q: "cat" });
    t.calls[0]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(t.list.add(makePost(8, { filename: "dog.png" }))).toBe(false);
    expect(t.list.add(makePost(9, { filename: "cat.png" }))).toBe(true);
    void t.list.setView({ sort: "size" });
    t.calls[1]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(t.list.add(makePost(10, { filename: "cat2.png" }))).toBe(false);
  });

  it("maps the sort menu both ways", () => {
    expect(sortOf("largest")).toEqual({ sort: "size", order: "desc" });
    expect(sortOf("nonsense")).toEqual({ sort: "created", order: "desc" });
    expect(sortIdOf({ sort: "filename", order: "desc" })).toBe("name-desc");
  });
});

describe("PostsList refresh", () => {
  it("asks again for what is shown and swaps it in, never emptying the list first", async () => {
    const t = setup(2);
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(9), makePost(8)], nextCursor: "c8" });
    await flush();
    void t.list.loadMore();
    t.calls[1]!.reply.resolve({ items: [makePost(7)], nextCursor: null });
    await flush();
    t.changes.length = 0;
    void t.list.refresh();
    expect(t.calls[2]!.query).toEqual({ limit: 3 });
    expect(t.ids()).toEqual([9, 8, 7]);
    t.calls[2]!.reply.resolve({ items: [makePost(10), makePost(9), makePost(8)], nextCursor: "c8" });
    await flush();
    expect(t.ids()).toEqual([10, 9, 8]);
    expect(t.changes.map((c) => c.type)).toEqual(["status", "swap", "status"]);
    expect(t.list.status().exhausted).toBe(false);
  });

  it("keeps the list when the refresh fails", async () => {
    const t = setup(2);
    void t.list.reload();
    t.calls[0]!.reply.resolve({ items: [makePost(9)], nextCursor: null });
    await flush();
    void t.list.refresh();
    t.calls[1]!.reply.reject({ kind: "network", message: "down" });
    await flush();
    expect(t.ids()).toEqual([9]);
    expect(t.list.status().error).toEqual({ kind: "network", message: "down" });
  });
});
