import { describe, expect, it } from "vitest";
import { actualSize, anchorAt, panStep, scrollToAnchor, toggled, zoomLabel } from "./zoom";

describe("zoom: fit or 1:1", () => {
  it("toggles between the two, fit first", () => {
    expect(toggled("fit")).toBe("actual");
    expect(toggled("actual")).toBe("fit");
  });

  it("1:1 is one image pixel to one device pixel", () => {
    expect(actualSize({ width: 1280, height: 853 })).toEqual({ width: 1280, height: 853 });
    expect(actualSize({ width: 1280, height: 854 }, 2)).toEqual({ width: 640, height: 427 });
    expect(actualSize({ width: 100, height: 50 }, 0)).toEqual({ width: 100, height: 50 }); // a bad ratio is 1
    expect(actualSize({ width: 0, height: 0 })).toBeNull(); // not loaded yet
  });

  it("scrolls to keep the chosen point in the middle, within the scrollable range", () => {
    const content = { width: 2400, height: 1600 };
    const viewport = { width: 800, height: 600 };
    expect(scrollToAnchor(content, viewport)).toEqual({ left: 800, top: 500 });
    expect(scrollToAnchor(content, viewport, { x: 0, y: 0 })).toEqual({ left: 0, top: 0 });
    expect(scrollToAnchor(content, viewport, { x: 1, y: 1 })).toEqual({ left: 1600, top: 1000 });
    // Smaller than the stage: nothing to scroll.
    expect(scrollToAnchor({ width: 300, height: 200 }, viewport)).toEqual({ left: 0, top: 0 });
    expect(anchorAt(200, 50, { width: 400, height: 100 })).toEqual({ x: 0.5, y: 0.5 });
    expect(anchorAt(-5, 500, { width: 400, height: 100 })).toEqual({ x: 0, y: 1 });
  });

  it("the arrows pan a tenth of the stage (Shift: half), other keys nothing", () => {
    const viewport = { width: 800, height: 600 };
    expect(panStep("ArrowRight", viewport)).toEqual({ dx: 80, dy: 0 });
    expect(panStep("ArrowLeft", viewport)).toEqual({ dx: -80, dy: 0 });
    expect(panStep("ArrowDown", viewport, true)).toEqual({ dx: 0, dy: 300 });
    expect(panStep("ArrowUp", { width: 50, height: 50 })).toEqual({ dx: 0, dy: -16 });
    expect(panStep("Enter", viewport)).toBeNull();
  });

  it("says which it is", () => {
    expect(zoomLabel("fit")).toBe("Fitted to the window");
    expect(zoomLabel("actual", { width: 1280, height: 800 })).toBe(
      "Actual size (1280 × 800 px): drag, scroll or use the arrow keys to pan",
    );
  });
});
