// The message pages (templates/admin/messaging/message/): a live "n/90" counter under each
// lock-screen line, and the composer's preview of who the audience reaches, asked of the server
// (messaging.admin's preview view, which calls messaging.selectors.preview) as the audience
// changes. The first state of both is the server's page.
"use strict";
(() => {
  // --- Counters
  const counted = document.querySelectorAll("input[data-counter]");
  for (const input of counted) {
    const max = Number(input.dataset.counter) || 90;
    const counter = document.createElement("span");
    counter.className = "msg-counter";
    counter.setAttribute("aria-live", "polite");
    counter.dataset.counterFor = input.id;
    input.insertAdjacentElement("afterend", counter);
    const show = () => {
      // Characters as a person counts them (an emoji is one), as the lock screen shows them.
      const length = [...input.value].length;
      counter.textContent = `${length}/${max}`;
      counter.toggleAttribute("data-over", length > max);
    };
    input.addEventListener("input", show);
    show();
  }

  // --- The composer's preview
  const panel = document.getElementById("msg-preview");
  const form = panel?.closest("form") || document.getElementById("message_form");
  if (!panel || !form) return;
  const names = ["audience", "audience_store", "days", "program", "send_at"];
  let timer = 0;
  let asked = 0;

  const refresh = async () => {
    const query = new URLSearchParams();
    for (const name of names) {
      const field = form.elements.namedItem(name);
      if (field && "value" in field && field.value) query.set(name, field.value);
    }
    const ask = ++asked;
    panel.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${panel.dataset.url}?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || ask !== asked) return;
      const figures = await response.json();
      for (const node of panel.querySelectorAll("[data-figure]")) {
        const value = figures[node.dataset.figure];
        if (value !== undefined) node.textContent = String(value);
      }
      for (const node of panel.querySelectorAll("[data-skipped]")) {
        node.textContent = String(figures.skipped?.[node.dataset.skipped] ?? 0);
      }
    } finally {
      if (ask === asked) panel.removeAttribute("aria-busy");
    }
  };

  for (const type of ["input", "change"]) {
    form.addEventListener(type, (event) => {
      const target = event.target;
      if (!(target instanceof HTMLElement) || !names.includes(target.getAttribute("name"))) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    });
  }
})();
