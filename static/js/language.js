// The language picker of every page (templates/base.html) switches as soon as a language is
// picked: from the list with a pointer or a finger, or with Enter after choosing with the keys.
// Arrow keys on a closed list change its value one language at a time: those wait for Enter or
// for the focus to leave, so a keyboard user is not sent to another page at each key (WCAG 3.2.2).
// Without JavaScript the form's button submits it; with JavaScript the button is hidden (the
// "js" class, set here before the page is drawn). A static file: the Content-Security-Policy
// refuses inline handlers.
"use strict";
document.documentElement.classList.add("js");
(() => {
  const SELECTOR = "select[data-submit-on-change]";
  let keyed = null; // the select whose value the keys changed and that waits for Enter or blur
  let sent = false;

  const submit = (select) => {
    keyed = null;
    if (sent || select.value === select.getAttribute("data-current")) return;
    sent = true;
    const form = select.form;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  };
  const picker = (target) => (target instanceof Element ? target.closest(SELECTOR) : null);

  document.addEventListener("keydown", (event) => {
    const select = picker(event.target);
    if (!select) return;
    if (event.key === "Enter") {
      // After the browser's own handling: Enter in an open list picks the language first.
      keyed = null;
      setTimeout(() => submit(select), 0);
    } else if (event.key !== "Tab" && event.key !== "Shift") {
      keyed = select;
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (picker(event.target)) keyed = null;
  });
  document.addEventListener("change", (event) => {
    const select = picker(event.target);
    if (select && keyed !== select) submit(select);
  });
  document.addEventListener("focusout", (event) => {
    const select = picker(event.target);
    if (select && keyed === select) submit(select);
  });
})();
