import { describe, expect, it } from "vitest";
import { Selection } from "./selection";

const order = [9, 8, 7, 6, 5];

describe("Selection", () => {
  it("toggles one at a time", () => {
    let changes = 0;
    const s = new Selection(() => (changes += 1));
    s.toggle(8);
    s.toggle(6);
    expect(s.inOrder(order)).toEqual([8, 6]);
    s.toggle(8);
    expect(s.inOrder(order)).toEqual([6]);
    expect(changes).toBe(3);
  });

  it("extends from the last one clicked, either way, keeping what was selected", () => {
    const s = new Selection();
    s.toggle(9);
    s.extendTo(7, order);
    expect(s.inOrder(order)).toEqual([9, 8, 7]);
    s.toggle(5);
    s.extendTo(6, order);
    expect(s.inOrder(order)).toEqual([9, 8, 7, 6, 5]);
  });

  it("a range without an anchor selects just the one", () => {
    const s = new Selection();
    s.extendTo(7, order);
    expect(s.inOrder(order)).toEqual([7]);
  });

  it("selects everything loaded, forgets what is gone, clears", () => {
    const s = new Selection();
    s.selectAll(order);
    expect(s.size()).toBe(5);
    s.keepOnly([9, 5]);
    expect(s.inOrder(order)).toEqual([9, 5]);
    s.clear();
    expect(s.size()).toBe(0);
  });
});
