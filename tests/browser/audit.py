"""What a page shows a person, checked in the browser: WCAG AA text contrast and touch targets.

``problems(page)`` lists every visible text whose contrast with the colour behind it is under
4.5:1 (3:1 for large text: 24 px, or 18.67 px bold; WCAG 1.4.3), and every visible control
(button, field, link outside running text, choice chip) smaller than 44 x 44 CSS pixels, the size
we hold ourselves to (WCAG 2.5.8 asks 24 x 24; 2.5.5 asks 44 x 44). Colours are the computed ones,
after our stylesheets and the programme's colours; the first opaque background up the tree counts.
"""

from __future__ import annotations

from playwright.sync_api import Page

MIN_TARGET = 44

_AUDIT = """(minTarget) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const luminance = ({r, g, b}) => {
    const [R, G, B] = [r, g, b].map((c) => {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) result = blend(layer, result);
    return result;
  };
  const visible = (element) => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 1 &&
      box.height > 1 && !element.closest("[hidden]");
  };
  const describe = (element) => {
    const text = (element.innerText || element.value || element.getAttribute("aria-label") ||
      element.tagName).trim().replace(/\\s+/g, " ").slice(0, 40);
    return `${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""} "${text}"`;
  };
  const problems = [];

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!node.textContent.trim() || seen.has(element) || !visible(element)) continue;
    if (element.closest("option, script, style, svg")) continue;
    seen.add(element);
    const style = getComputedStyle(element);
    const colour = parse(style.color);
    const back = background(element);
    const ink = blend(colour, back);
    const [light, dark] = [luminance(ink), luminance(back)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`contrast ${ratio.toFixed(2)}:1 for ${describe(element)}`);
    }
  }

  const controls = document.querySelectorAll(
    "button, select, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), " +
    "a[href], label.chip, label.check");
  for (const control of controls) {
    if (!visible(control)) continue;
    // A link inside a sentence is exempt (WCAG 2.5.8 "inline").
    if (control.tagName === "A" && control.parentElement.closest("p, li") &&
        getComputedStyle(control).display === "inline") continue;
    const box = control.getBoundingClientRect();
    if (box.width < minTarget - 0.5 || box.height < minTarget - 0.5) {
      problems.push(
        `target ${Math.round(box.width)}x${Math.round(box.height)} for ${describe(control)}`);
    }
  }
  return problems;
}"""


def problems(page: Page) -> list[str]:
    return page.evaluate(_AUDIT, MIN_TARGET)
