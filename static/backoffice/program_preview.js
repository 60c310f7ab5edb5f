// The programme form's live preview (templates/admin/programs/loyaltyprogram/change_form.html):
// the card and the wallet pass follow the name, colour, type and number of stamps as they are
// typed. The first state is the server's; this only repeats it as the fields change.
"use strict";
(() => {
  const preview = document.getElementById("program-preview");
  if (!preview) return;
  const field = (name) => document.getElementById(`id_${name}`);
  const all = (name) => preview.querySelectorAll(`[data-preview="${name}"]`);
  const sampleStamps = Number(preview.dataset.sampleStamps) || 0;
  const samplePoints = preview.dataset.samplePoints || "0";

  // Black or white, whichever contrasts more (WCAG relative luminance), as common.colors does.
  const readableInk = (hex) => {
    const match = /^#([0-9a-f]{6})$/i.exec(hex || "");
    if (!match) return "#FFFFFF";
    const [red, green, blue] = [0, 2, 4].map((at) => {
      const channel = parseInt(match[1].slice(at, at + 2), 16) / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    const luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue;
    return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000000" : "#FFFFFF";
  };
  // Rows of equal length, as programs.rules.stamp_grid_columns draws them (the live copy).
  const columns = (target) => {
    if (target <= 5) return target;
    return [5, 4, 3].find((count) => target % count === 0) || 5;
  };

  const update = () => {
    const name = field("card_name")?.value.trim() || preview.querySelector("[data-preview=name]").textContent;
    const color = field("card_color")?.value;
    const type = field("loyalty_type")?.value || "stamps";
    const hasStamps = type === "stamps" || type === "hybrid";
    const hasPoints = type === "points" || type === "hybrid";
    const target = Math.min(Math.max(parseInt(field("stamps_target")?.value, 10) || 10, 1), 50);
    const filled = Math.min(sampleStamps, target);
    const reward = field("stamps_reward_description")?.value.trim() ?? "";
    const store = field("store");

    all("name").forEach((node) => { node.textContent = name; });
    all("initial").forEach((node) => { node.textContent = name.charAt(0).toUpperCase(); });
    if (store instanceof HTMLSelectElement && store.value) {
      all("store").forEach((node) => { node.textContent = store.selectedOptions[0].textContent; });
    }
    if (/^#[0-9a-f]{6}$/i.test(color || "")) {
      for (const node of [...all("card"), ...all("pass")]) {
        node.style.setProperty("--preview-color", color);
        node.style.setProperty("--preview-ink", readableInk(color));
      }
    }
    all("stamps").forEach((node) => { node.hidden = !hasStamps; });
    all("points").forEach((node) => { node.hidden = !hasPoints; });
    all("reward").forEach((node) => { node.textContent = reward; });
    all("grid").forEach((grid) => {
      grid.style.setProperty("--columns", columns(target));
      grid.replaceChildren(...Array.from({ length: target }, (_, index) => {
        const mark = document.createElement("li");
        if (index < filled) mark.className = "setup-preview-filled";
        return mark;
      }));
    });
    all("primary-label").forEach((node) => {
      node.textContent = hasStamps ? preview.dataset.labelStamps : preview.dataset.labelPoints;
    });
    all("primary-value").forEach((node) => {
      node.textContent = hasStamps ? `${filled} / ${target}` : samplePoints;
    });
  };

  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      if (event.target instanceof Element && event.target.closest("form")) update();
    });
  }
})();
