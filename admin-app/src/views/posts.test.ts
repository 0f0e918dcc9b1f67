// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetPlaceholders } from "../images";
import { deferred, flush, makeMeasuredPost, makePost } from "../test-support";
import type { Post, PostPage, PostQuery } from "../types";
import { closeAllModals } from "./modal";
import { postsView, type PostsViewDeps } from "./posts";

let replies: { query: PostQuery; reply: ReturnType<typeof deferred<PostPage>> }[];
let opened: Post[];
let reported: unknown[];

function mount(
  refreshPost = async (id: number) => makePost(id, { url: `http://s3.test/fresh-${id}` }),
  poll?: { interval?: number; maxInterval?: number; steadyRounds?: number },
  isAdmin = false,
  extra: Partial<PostsViewDeps> = {},
) {
  replies = [];
  opened = [];
  reported = [];
  const view = postsView({
    myId: "1",
    isAdmin,
    fetchPage: (query) => {
      const reply = deferred<PostPage>();
      replies.push({ query, reply });
      return reply.promise;
    },
    refreshPost,
    poll,
    open: (p) => opened.push(p),
    report: (e) => reported.push(e),
    ...extra,
  });
  document.body.replaceChildren(view.el);
  return view;
}
const grid = () => document.getElementById("posts-grid")!;
const cardIds = () => [...grid().querySelectorAll<HTMLElement>("[data-post-id]")].map((c) => Number(c.dataset.postId));

beforeEach(() => {
  document.body.replaceChildren();
  resetPlaceholders();
  // jsdom has no 2D canvas: the placeholder is the average colour (one test paints a fake one).
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});
afterEach(() => vi.restoreAllMocks());

describe("posts grid", () => {
  it("shows cards with the hooks, status, owner, size and a lazy thumbnail", async () => {
    mount();
    replies[0]!.reply.resolve({
      items: [
        makePost(3, { ownerId: "1", size: 1_258_291 }),
        makePost(2, { status: "pending", url: null, ownerId: "42" }),
        makePost(1, { status: "rejected", url: null, rejectionReason: "not a PNG" }),
      ],
      nextCursor: null,
    });
    await flush();
    const [ready, pending, rejected] = [...grid().querySelectorAll<HTMLElement>("[data-post-id]")];
    expect(ready!.dataset.status).toBe("ready");
    expect(ready!.tabIndex).toBe(0);
    const img = ready!.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("http://s3.test/uploads/3.png?sig=abc");
    expect(img.getAttribute("loading")).toBe("lazy");
    expect(img.getAttribute("decoding")).toBe("async");
    expect(ready!.textContent).toContain("by you");
    expect(ready!.textContent).toContain("1.2 MB");
    expect(ready!.textContent).toContain("PNG");
    expect(pending!.dataset.status).toBe("pending");
    expect(pending!.querySelector("img")).toBeNull();
    expect(pending!.querySelector(".thumb-placeholder")).not.toBeNull();
    expect(pending!.textContent).toContain("by user 42");
    expect(rejected!.textContent).toContain("not a PNG");
    expect(rejected!.querySelector(".badge")!.getAttribute("title")).toBe("not a PNG");
  });

  it("appends the next page without rebuilding the cards already shown", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(4), makePost(3)], nextCursor: "c3" });
    await flush();
    const first = grid().querySelector('[data-post-id="4"]');
    const loadMore = document.getElementById("load-more") as HTMLButtonElement;
    expect(loadMore.hidden).toBe(false);
    loadMore.click();
    expect(replies[1]!.query).toEqual({ limit: 50, cursor: "c3" });
    replies[1]!.reply.resolve({ items: [makePost(2), makePost(1)], nextCursor: null });
    await flush();
    expect(cardIds()).toEqual([4, 3, 2, 1]);
    expect(grid().querySelector('[data-post-id="4"]')).toBe(first);
    expect(loadMore.hidden).toBe(true);
    expect(document.body.textContent).toContain("That's everything.");
  });

  it("filters by status from the segmented control", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(1)], nextCursor: null });
    await flush();
    const pending = document.querySelector<HTMLButtonElement>('#status-filter [data-filter="pending"]')!;
    pending.click();
    expect(replies[1]!.query).toEqual({ limit: 50, status: "pending" });
    expect(cardIds()).toEqual([]);
    expect(pending.getAttribute("aria-pressed")).toBe("true");
    expect(document.querySelector('[data-filter="all"]')!.getAttribute("aria-pressed")).toBe("false");
    replies[1]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(document.querySelector<HTMLElement>(".empty")!.hidden).toBe(false);
    expect(document.querySelector(".empty")!.textContent).toContain("No pending posts");
  });

  it("says so when there are no posts at all", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(document.querySelector(".empty")!.textContent).toContain("No images yet");
  });

  it("opens a card on click and on Enter", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(5), makePost(4)], nextCursor: null });
    await flush();
    grid().querySelector<HTMLElement>('[data-post-id="5"]')!.click();
    const card = grid().querySelector<HTMLElement>('[data-post-id="4"]')!;
    card.focus();
    card.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(opened.map((p) => p.id)).toEqual([5, 4]);
  });

  it("puts a new upload on top and removes a deleted card", async () => {
    const view = mount();
    replies[0]!.reply.resolve({ items: [makePost(5)], nextCursor: null });
    await flush();
    view.list.add(makePost(9));
    expect(cardIds()).toEqual([9, 5]);
    view.list.remove(5);
    expect(cardIds()).toEqual([9]);
  });

  it("reports a failed page and offers to try again", async () => {
    mount();
    replies[0]!.reply.reject({ kind: "network", message: "down" });
    await flush();
    expect(reported).toEqual([{ kind: "network", message: "down" }]);
    const retry = document.getElementById("load-more") as HTMLButtonElement;
    expect(retry.hidden).toBe(false);
    expect(retry.textContent).toBe("Try again");
    retry.click();
    expect(replies).toHaveLength(2);
  });

  it("asks once for a fresh URL when a thumbnail fails to load (expired link)", async () => {
    const refresh = vi.fn(async (id: number) => makePost(id, { url: `http://s3.test/fresh-${id}` }));
    mount(refresh);
    replies[0]!.reply.resolve({ items: [makePost(5)], nextCursor: null });
    await flush();
    const img = grid().querySelector("img")!;
    img.dispatchEvent(new Event("error"));
    await flush();
    expect(refresh).toHaveBeenCalledWith(5);
    expect(img.getAttribute("src")).toBe("http://s3.test/fresh-5");
    img.dispatchEvent(new Event("error")); // the fresh one failed too: no loop
    await flush();
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it("shows the thumb variant at its size over the BlurHash's colour, then drops the placeholder", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makeMeasuredPost(3)], nextCursor: null });
    await flush();
    const thumb = grid().querySelector<HTMLElement>(".thumb")!;
    const img = thumb.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("http://s3.test/v/3-thumb.webp?sig=abc");
    expect(img.dataset.kind).toBe("thumb");
    expect([img.width, img.height]).toEqual([320, 200]);
    expect(thumb.classList.contains("thumb-loading")).toBe(true);
    expect(thumb.style.backgroundColor).toBe("rgb(151, 150, 149)");
    img.dispatchEvent(new Event("load"));
    expect(thumb.classList.contains("thumb-loading")).toBe(false);
  });

  it("paints the decoded BlurHash where a canvas exists", async () => {
    const put = vi.fn();
    const getContext = vi.mocked(HTMLCanvasElement.prototype.getContext).mockImplementation(
      () =>
        ({
          createImageData: (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4), width: w, height: h }),
          putImageData: put,
        }) as unknown as CanvasRenderingContext2D,
    );
    const toDataURL = vi.spyOn(HTMLCanvasElement.prototype, "toDataURL").mockReturnValue("data:image/png;base64,AAAA");
    try {
      mount();
      replies[0]!.reply.resolve({ items: [makeMeasuredPost(3), makeMeasuredPost(2)], nextCursor: null });
      await flush();
      const thumb = grid().querySelector<HTMLElement>(".thumb")!;
      expect(thumb.style.backgroundImage).toBe('url("data:image/png;base64,AAAA")');
      // 640×400 → a 24×15 placeholder, decoded once for both cards (same hash, same shape).
      expect(put).toHaveBeenCalledTimes(1);
      const [data] = put.mock.calls[0]! as [ImageData];
      expect([data.width, data.height]).toEqual([24, 15]);
      expect(data.data.some((v) => v !== 0)).toBe(true);
    } finally {
      getContext.mockRestore();
      toDataURL.mockRestore();
    }
  });

  it("falls back to the original without a thumb variant, and a neutral box without a hash", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(4, { contentType: "image/avif", url: "http://s3.test/o.avif", width: 800, height: 600 })], nextCursor: null });
    await flush();
    const thumb = grid().querySelector<HTMLElement>(".thumb")!;
    const img = thumb.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("http://s3.test/o.avif");
    expect(img.dataset.kind).toBe("original");
    expect([img.width, img.height]).toEqual([800, 600]);
    expect(thumb.classList.contains("thumb-loading")).toBe(false);
    expect(thumb.style.backgroundImage).toBe("");
  });

  it("a fresh URL for an expired thumbnail is the thumb's again", async () => {
    mount(async (id) => makeMeasuredPost(id, { variants: { thumb: { url: "http://s3.test/fresh-thumb", width: 320, height: 200, contentType: "image/webp" } } }));
    replies[0]!.reply.resolve({ items: [makeMeasuredPost(5)], nextCursor: null });
    await flush();
    const img = grid().querySelector("img")!;
    img.dispatchEvent(new Event("error"));
    await flush();
    expect(img.getAttribute("src")).toBe("http://s3.test/fresh-thumb");
  });

  it("shows a processing post as such and updates it by itself once it is ready", async () => {
    vi.useFakeTimers();
    try {
      let ready = false;
      const refresh = vi.fn(async (id: number) =>
        ready ? makeMeasuredPost(id) : makePost(id, { status: "processing", url: null }),
      );
      const view = mount(refresh);
      replies[0]!.reply.resolve({ items: [makePost(6, { status: "processing", url: null }), makeMeasuredPost(5)], nextCursor: null });
      await vi.advanceTimersByTimeAsync(0);
      const card = () => grid().querySelector<HTMLElement>('[data-post-id="6"]')!;
      expect(card().dataset.status).toBe("processing");
      expect(card().querySelector(".badge")!.textContent).toBe("Processing");
      expect(card().querySelector(".thumb-placeholder")!.getAttribute("aria-label")).toBe("Processing…");
      expect(card().textContent).toContain("Processing…");
      expect(card().querySelector("img")).toBeNull();
      expect(view.poller.active()).toBe(true);

      await vi.advanceTimersByTimeAsync(1000);
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(refresh).toHaveBeenCalledWith(6);
      expect(card().dataset.status).toBe("processing");

      ready = true;
      await vi.advanceTimersByTimeAsync(1000);
      expect(refresh).toHaveBeenCalledTimes(2);
      expect(card().dataset.status).toBe("ready");
      expect(card().querySelector("img")!.getAttribute("src")).toBe("http://s3.test/v/6-thumb.webp?sig=abc");
      expect(view.poller.active()).toBe(false);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(refresh).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("polls an upload that came back processing, and stops when the view goes", async () => {
    vi.useFakeTimers();
    try {
      const refresh = vi.fn(async (id: number) => makePost(id, { status: "processing", url: null }));
      const view = mount(refresh);
      replies[0]!.reply.resolve({ items: [makePost(1)], nextCursor: null });
      await vi.advanceTimersByTimeAsync(0);
      expect(view.poller.active()).toBe(false);
      view.list.add(makePost(7, { status: "processing", url: null }));
      expect(view.poller.active()).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(refresh).toHaveBeenCalledWith(7);
      view.destroy();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(refresh).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("offers a Processing filter", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    document.querySelector<HTMLButtonElement>('#status-filter [data-filter="processing"]')!.click();
    expect(replies[1]!.query).toEqual({ limit: 50, status: "processing" });
    replies[1]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(document.querySelector(".empty")!.textContent).toContain("Nothing is being processed");
  });
});


describe("finding posts", () => {
  const type = (id: string, value: string, key = "Enter") => {
    const input = document.getElementById(id) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event("input"));
    input.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  };

  it("names other owners by name or email, never by a bare id when the server knows them", async () => {
    mount();
    replies[0]!.reply.resolve({
      items: [
        makePost(3, { ownerId: "7", ownerEmail: "grace@example.com", ownerName: "Grace Hopper" }),
        makePost(2, { ownerId: "8", ownerEmail: "linus@example.com" }),
        makePost(1, { ownerId: "1", ownerEmail: "me@example.com" }),
      ],
      nextCursor: null,
    });
    await flush();
    const [grace, linus, mine] = [...grid().querySelectorAll<HTMLElement>("[data-post-id]")];
    expect(grace!.textContent).toContain("by Grace Hopper");
    expect(grace!.querySelector(".owner")!.getAttribute("title")).toBe("grace@example.com");
    expect(linus!.textContent).toContain("by linus@example.com");
    expect(mine!.textContent).toContain("by you");
  });

  it("searches names and titles on the server, and keeps the search across a refresh", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(2), makePost(1)], nextCursor: null });
    await flush();
    type("post-search", "  beach ");
    expect(replies[1]!.query).toEqual({ limit: 50, q: "beach" });
    expect(cardIds()).toEqual([]);
    replies[1]!.reply.resolve({ items: [], nextCursor: null });
    await flush();
    expect(document.querySelector(".empty")!.textContent).toBe("No posts match the search.");
    (document.getElementById("refresh-posts") as HTMLButtonElement).click();
    expect(replies[2]!.query).toEqual({ limit: 50, q: "beach" });
  });

  it("waits for typing to pause before asking", async () => {
    vi.useFakeTimers();
    try {
      mount();
      const input = document.getElementById("post-search") as HTMLInputElement;
      for (const value of ["b", "be", "bea"]) {
        input.value = value;
        input.dispatchEvent(new Event("input"));
        vi.advanceTimersByTime(100);
      }
      expect(replies).toHaveLength(1);
      vi.advanceTimersByTime(250);
      expect(replies).toHaveLength(2);
      expect(replies[1]!.query).toEqual({ limit: 50, q: "bea" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("sorts from the menu, with the order the server pages by", async () => {
    mount();
    const sort = document.getElementById("post-sort") as HTMLSelectElement;
    expect([...sort.options].map((o) => o.textContent)).toEqual([
      "Newest first",
      "Oldest first",
      "Largest first",
      "Smallest first",
      "Name A–Z",
      "Name Z–A",
    ]);
    sort.value = "largest";
    sort.dispatchEvent(new Event("change"));
    expect(replies[1]!.query).toEqual({ limit: 50, sort: "size", order: "desc" });
    replies[1]!.reply.resolve({ items: [makePost(1)], nextCursor: "next" });
    await flush();
    (document.getElementById("load-more") as HTMLButtonElement).click();
    expect(replies[2]!.query).toEqual({ limit: 50, sort: "size", order: "desc", cursor: "next" });
    expect(sort.value).toBe("largest");
  });

  it("offers the owner filter to admins only", async () => {
    mount();
    expect(document.getElementById("post-owner")).toBeNull();
    mount(undefined, undefined, true);
    type("post-owner", "grace@example.com");
    expect(replies[1]!.query).toEqual({ limit: 50, owner: "grace@example.com" });
  });

  it("focuses the search on / unless the user is typing somewhere", () => {
    mount();
    const search = document.getElementById("post-search") as HTMLInputElement;
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
    expect(document.activeElement).toBe(search);
    search.blur();
    const other = document.createElement("textarea");
    document.body.appendChild(other);
    other.focus();
    other.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
    expect(document.activeElement).toBe(other);
  });
});

describe("selecting and deleting many", () => {
  const card = (id: number) => grid().querySelector<HTMLElement>(`[data-post-id="${id}"]`)!;
  const click = (el: Element, init: MouseEventInit = {}) =>
    el.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, ...init }));
  const key = (el: Element, k: string, init: KeyboardEventInit = {}) =>
    el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...init }));
  const selected = () => cardIds().filter((id) => card(id).getAttribute("aria-selected") === "true");
  const visible = () => cardIds().filter((id) => !card(id).hidden);

  async function withPosts(extra: Partial<PostsViewDeps> = {}) {
    const view = mount(undefined, undefined, false, extra);
    replies[0]!.reply.resolve({ items: [5, 4, 3, 2, 1].map((id) => makePost(id)), nextCursor: null });
    await flush();
    return view;
  }
  afterEach(() => {
    closeAllModals();
    vi.useRealTimers();
  });

  it("Ctrl-click toggles, Shift-click selects a range, the checkbox toggles; a plain click opens", async () => {
    await withPosts();
    click(card(4), { ctrlKey: true });
    click(card(2), { shiftKey: true });
    expect(selected()).toEqual([4, 3, 2]);
    click(card(3).querySelector(".card-check")!);
    expect(selected()).toEqual([4, 2]);
    expect(document.getElementById("selection-count")!.textContent).toBe("2 selected");
    expect(document.getElementById("selection-bar")!.hidden).toBe(false);
    expect(opened).toEqual([]);
    click(card(1));
    expect(opened.map((p) => p.id)).toEqual([1]);
    (document.getElementById("select-all") as HTMLButtonElement).click();
    expect(selected()).toEqual([5, 4, 3, 2, 1]);
    (document.getElementById("clear-selection") as HTMLButtonElement).click();
    expect(selected()).toEqual([]);
    expect(document.getElementById("selection-bar")!.hidden).toBe(true);
  });

  it("is one Tab stop that arrows move through; Space selects, Enter opens, Esc clears", async () => {
    await withPosts();
    const tabStops = () => cardIds().filter((id) => card(id).tabIndex === 0);
    expect(tabStops()).toEqual([5]);
    card(5).focus();
    key(card(5), "ArrowRight");
    expect(document.activeElement).toBe(card(4));
    expect(tabStops()).toEqual([4]);
    key(card(4), " ");
    key(card(4), "End");
    expect(document.activeElement).toBe(card(1));
    key(card(1), "Enter");
    expect(opened.map((p) => p.id)).toEqual([1]);
    expect(selected()).toEqual([4]);
    key(card(1), "Escape");
    expect(selected()).toEqual([]);
    key(card(1), "a", { ctrlKey: true });
    expect(selected()).toEqual([5, 4, 3, 2, 1]);
  });

  it("deletes the selection after one confirmation naming the count, with an undo window", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const remove = vi.fn(async () => null);
    const notify = vi.fn();
    await withPosts({ remove, notify });
    click(card(4), { ctrlKey: true });
    click(card(3), { ctrlKey: true });
    (document.getElementById("bulk-delete") as HTMLButtonElement).click();
    expect(document.body.textContent).toContain("Delete 2 images? You can undo for a few seconds");
    (document.getElementById("confirm-bulk-delete") as HTMLButtonElement).click();
    await flush();
    expect(visible()).toEqual([5, 2, 1]);
    expect(document.getElementById("undo-bar")!.hidden).toBe(false);
    expect(remove).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(6000);
    await flush();
    expect(remove.mock.calls.map((c) => (c as unknown[])[0]).sort()).toEqual([3, 4]);
    expect(cardIds()).toEqual([5, 2, 1]);
    expect(notify).toHaveBeenCalledWith("Deleted 2 images.");
    expect(document.getElementById("undo-bar")!.hidden).toBe(true);
  });

  it("Undo brings them back and deletes nothing", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const remove = vi.fn(async () => null);
    await withPosts({ remove, notify: () => {} });
    card(2).focus();
    key(card(2), "Delete");
    expect(document.body.textContent).toContain("Delete image-2.png?");
    (document.getElementById("confirm-bulk-delete") as HTMLButtonElement).click();
    await flush();
    expect(visible()).toEqual([5, 4, 3, 1]);
    (document.getElementById("undo-delete") as HTMLButtonElement).click();
    expect(visible()).toEqual([5, 4, 3, 2, 1]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(remove).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(card(2));
  });

  it("a post that failed to delete comes back, and the failure is reported", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const error = { kind: "network", message: "down" };
    const remove = vi.fn(async (id: number) => {
      if (id === 3) throw error;
      return null;
    });
    await withPosts({ remove, notify: () => {} });
    click(card(4), { ctrlKey: true });
    click(card(3), { ctrlKey: true });
    (document.getElementById("bulk-delete") as HTMLButtonElement).click();
    (document.getElementById("confirm-bulk-delete") as HTMLButtonElement).click();
    await flush();
    await vi.advanceTimersByTimeAsync(6000);
    await flush();
    expect(visible()).toEqual([5, 3, 2, 1]);
    expect(reported).toEqual([error]);
  });
});

describe("refresh in place", () => {
  it("keeps the cards of unchanged posts and replaces the changed ones", async () => {
    mount();
    replies[0]!.reply.resolve({ items: [makePost(3), makePost(2), makePost(1)], nextCursor: null });
    await flush();
    const before = [...grid().querySelectorAll("[data-post-id]")];
    (document.getElementById("refresh-posts") as HTMLButtonElement).click();
    expect(cardIds()).toEqual([3, 2, 1]);
    replies[1]!.reply.resolve({
      items: [makePost(4), makePost(3), makePost(2, { status: "rejected", updatedAt: "2026-11-27T00:00:00Z" }), makePost(1)],
      nextCursor: null,
    });
    await flush();
    expect(cardIds()).toEqual([4, 3, 2, 1]);
    const after = [...grid().querySelectorAll("[data-post-id]")];
    expect(after[1]).toBe(before[0]);
    expect(after[3]).toBe(before[2]);
    expect(after[2]).not.toBe(before[1]);
    expect(after[2]!.getAttribute("data-status")).toBe("rejected");
  });
});
