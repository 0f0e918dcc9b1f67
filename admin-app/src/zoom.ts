// The preview's zoom: "fit" (the default: the whole image in the stage) or
// "actual" (1:1, one image pixel to one screen pixel, panned by scrolling,
// dragging or the arrow keys). No DOM here: views/preview.ts applies it.

export type Zoom = "fit" | "actual";

export function toggled(zoom: Zoom): Zoom {
  return zoom === "fit" ? "actual" : "fit";
}

export type Size = { width: number; height: number };

/**
 * The CSS size that shows an image of `natural` pixels at its real pixel
 * size: one image pixel to one device pixel (so half the CSS pixels on a
 * 2× screen). `null` until the image has loaded.
 */
export function actualSize(natural: Size, devicePixelRatio = 1): Size | null {
  if (!(natural.width > 0 && natural.height > 0)) return null;
  const ratio = devicePixelRatio > 0 && Number.isFinite(devicePixelRatio) ? devicePixelRatio : 1;
  return { width: natural.width / ratio, height: natural.height / ratio };
}

/**
 * Where to scroll a `viewport` over `content` so that the point at
 * `anchor` (fractions of the content, 0.5/0.5 the centre) sits in the
 * middle of the viewport, within what can be scrolled.
 */
export function scrollToAnchor(content: Size, viewport: Size, anchor = { x: 0.5, y: 0.5 }): { left: number; top: number } {
  const clamp = (value: number, max: number) => Math.round(Math.min(Math.max(0, value), Math.max(0, max)));
  return {
    left: clamp(anchor.x * content.width - viewport.width / 2, content.width - viewport.width),
    top: clamp(anchor.y * content.height - viewport.height / 2, content.height - viewport.height),
  };
}

/** The point of an element at (`x`, `y`) of its `size`, as fractions (for zooming in where one clicked). */
export function anchorAt(x: number, y: number, size: Size): { x: number; y: number } {
  const fraction = (v: number, of: number) => (of > 0 ? Math.min(1, Math.max(0, v / of)) : 0.5);
  return { x: fraction(x, size.width), y: fraction(y, size.height) };
}

/** How far an arrow key (with Shift: further) pans a viewport of `viewport` at 1:1; `null` for other keys. */
export function panStep(key: string, viewport: Size, shift = false): { dx: number; dy: number } | null {
  const share = shift ? 0.5 : 0.1;
  const x = Math.max(16, Math.round(viewport.width * share));
  const y = Math.max(16, Math.round(viewport.height * share));
  switch (key) {
    case "ArrowLeft":
      return { dx: -x, dy: 0 };
    case "ArrowRight":
      return { dx: x, dy: 0 };
    case "ArrowUp":
      return { dx: 0, dy: -y };
    case "ArrowDown":
      return { dx: 0, dy: y };
    default:
      return null;
  }
}

/** The words for the zoom, for the stage's label and the hint. */
export function zoomLabel(zoom: Zoom, natural?: Size): string {
  if (zoom === "fit") return "Fitted to the window";
  const size = natural && natural.width > 0 ? ` (${natural.width} × ${natural.height} px)` : "";
  return `Actual size${size}: drag, scroll or use the arrow keys to pan`;
}
