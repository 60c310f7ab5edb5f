// The card page keeps itself up to date: while the page is visible, it asks the card's state
// (views.card_state) every few seconds with the ETag it has; the answer is 304 while nothing
// changed, or the page's live parts (the card, the reward banners, the rewards, the recent
// activity), which replace the parts that differ. Hidden tabs do not ask; showing the page again
// asks at once. A static file: the Content-Security-Policy refuses inline scripts.
"use strict";
(() => {
  const root = document.querySelector("[data-live-url]");
  if (!root || !window.fetch || !window.DOMParser) return;
  const url = root.getAttribute("data-live-url");
  const interval = Number(root.getAttribute("data-live-interval")) || 3000;
  let etag = root.getAttribute("data-live-etag") || "";
  let timer = null;
  let busy = false;
  let stopped = false;

  const visible = () => document.visibilityState === "visible";

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!stopped && visible()) timer = setTimeout(poll, interval);
  }

  function apply(html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    fresh.querySelectorAll("[data-live-part]").forEach((part) => {
      const name = part.getAttribute("data-live-part");
      const current = root.querySelector(`[data-live-part="${name}"]`);
      if (current && current.innerHTML !== part.innerHTML) {
        const nodes = Array.from(part.childNodes); // a copy: the live list changes as they move
        current.replaceChildren(...nodes.map((node) => document.importNode(node, true)));
      }
    });
    const status = root.querySelector("[data-live-status]");
    const news = fresh.querySelector("[data-live-status]");
    if (status && news) status.textContent = news.textContent;
  }

  async function poll() {
    if (busy || stopped) return;
    busy = true;
    try {
      const response = await fetch(url, {
        headers: { "If-None-Match": etag, Accept: "text/html" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 200) {
        apply(await response.text());
        etag = response.headers.get("ETag") || etag;
      } else if (response.status === 404) {
        // The card's link changed (its data was erased): nothing more to follow here.
        stopped = true;
      }
    } catch (error) {
      // Offline for a moment: the next round tries again.
    } finally {
      busy = false;
      schedule();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (visible()) poll();
    else clearTimeout(timer);
  });
  schedule();
})();
