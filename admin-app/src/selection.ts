// Which posts are selected, as file managers do it: Ctrl/Cmd-click toggles
// one, Shift-click selects the range from the last one clicked, "select all"
// takes every post loaded. Ids only; the order comes from the grid.

export class Selection {
  private ids = new Set<number>();
  private anchor: number | null = null;

  constructor(private readonly onChange: () => void = () => {}) {}

  has(id: number): boolean {
    return this.ids.has(id);
  }

  size(): number {
    return this.ids.size;
  }

  /** The selected ids in `order` (the grid's). */
  inOrder(order: readonly number[]): number[] {
    return order.filter((id) => this.ids.has(id));
  }

  toggle(id: number): void {
    if (!this.ids.delete(id)) this.ids.add(id);
    this.anchor = id;
    this.onChange();
  }

  /** From the anchor (the last toggled) to `id`, inclusive, in `order`; just `id` without an anchor. */
  extendTo(id: number, order: readonly number[]): void {
    const from = this.anchor === null ? -1 : order.indexOf(this.anchor);
    const to = order.indexOf(id);
    if (from < 0 || to < 0) return this.toggle(id);
    const [lo, hi] = from < to ? [from, to] : [to, from];
    for (const each of order.slice(lo, hi + 1)) this.ids.add(each);
    this.onChange();
  }

  selectAll(order: readonly number[]): void {
    for (const id of order) this.ids.add(id);
    this.onChange();
  }

  /** Drops ids no longer shown (deleted, filtered away). */
  keepOnly(order: readonly number[]): void {
    const shown = new Set(order);
    let changed = false;
    for (const id of this.ids) {
      if (!shown.has(id)) {
        this.ids.delete(id);
        changed = true;
      }
    }
    if (this.anchor !== null && !shown.has(this.anchor)) this.anchor = null;
    if (changed) this.onChange();
  }

  clear(): void {
    if (this.ids.size === 0) return;
    this.ids.clear();
    this.anchor = null;
    this.onChange();
  }
}
