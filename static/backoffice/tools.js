// Buttons of the back-office pages, wired here rather than in onclick attributes, which the
// Content-Security-Policy refuses: data-print prints the page, data-copy-from="<id>" copies that
// field's value, data-select-on-focus selects a field's text when it gets the focus.
"use strict";
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    window.print();
    return;
  }
  const copy = target.closest("[data-copy-from]");
  if (copy && navigator.clipboard) {
    const field = document.getElementById(copy.getAttribute("data-copy-from"));
    if (field) navigator.clipboard.writeText(field.value);
  }
});
document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) {
    target.select();
  }
});
