// The body map (intake step 2, the session form): a picture over the same form
// fields as the list of regions beside it, kept in step both ways. Tapping a target
// ticks its region; ticking a region, or choosing its side, colours its targets.
//
// A region with two sides has a target per side, each on or off by itself: tapping
// the left leg of an unticked "Legs" ticks it with the side "Left side"; tapping the
// right leg then makes it "Both sides"; tapping the left leg again leaves "Right
// side"; tapping the right leg then unticks it. The list's side shows the same.
//
// Without JavaScript the map stays hidden and the list is the form
// (templates/intake/includes/_body_map.html, intake/body_map.py).
(() => {
  function setUp(map) {
    const form = map.closest("form");
    const name = map.dataset.bodyMap;
    const sidePrefix = map.dataset.sidePrefix;
    const scorePrefix = map.dataset.scorePrefix;
    const targets = Array.from(map.querySelectorAll(".map-target"));

    const box = (region) => form.querySelector(`input[type="checkbox"][name="${name}"][value="${region}"]`);
    const sideField = (region) => form.elements.namedItem(sidePrefix + region);
    const scoreField = (region) => (scorePrefix ? form.elements.namedItem(scorePrefix + region) : null);

    // The sides of a region now marked: none, "left", "right" or "both".
    function sidesOf(region) {
      const checkbox = box(region);
      if (!checkbox || !checkbox.checked) return "none";
      const side = sideField(region);
      return (side && side.value) || "both";
    }

    function show() {
      targets.forEach((target) => {
        const { region, side } = target.dataset;
        const marked = sidesOf(region);
        const chosen = marked !== "none" && (!side || marked === "both" || marked === side);
        target.classList.toggle("is-chosen", chosen);
        if (target.hasAttribute("aria-pressed")) target.setAttribute("aria-pressed", String(chosen));
        const score = scoreField(region);
        const value = score ? score.value.trim() : "";
        const shown = /^\d{1,2}$/.test(value) && Number(value) <= 10;
        target.classList.toggle("has-score", shown);
        const text = target.querySelector(".map-score text");
        if (text) text.textContent = shown ? value : "";
      });
    }

    function changed(field) {
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function toggle(target) {
      const { region, side } = target.dataset;
      const checkbox = box(region);
      if (!checkbox) return;
      if (!side) {
        checkbox.checked = !checkbox.checked;
        changed(checkbox);
        return;
      }
      const marked = sidesOf(region);
      const on = {
        left: marked === "left" || marked === "both",
        right: marked === "right" || marked === "both",
      };
      on[side] = !on[side];
      const field = sideField(region);
      checkbox.checked = on.left || on.right;
      if (field) field.value = on.left && on.right ? "both" : on.left ? "left" : on.right ? "right" : "both";
      if (field) changed(field);
      changed(checkbox);
    }

    map.addEventListener("click", (event) => {
      const target = event.target.closest(".map-target");
      if (target) toggle(target);
    });
    map.addEventListener("keydown", (event) => {
      const target = event.target.closest(".map-target[role=button]");
      if (!target || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault(); // Space would scroll the page
      if (!event.repeat) toggle(target);
    });
    form.addEventListener("change", (event) => {
      // A region unticked in the list loses its side too, as on the map.
      const field = event.target;
      if (field.name === name && field.type === "checkbox" && !field.checked) {
        const side = sideField(field.value);
        if (side && side.value !== "both") side.value = "both";
      }
      show();
    });
    form.addEventListener("input", show);
    map.hidden = false;
    show();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-body-map]").forEach(setUp);
  });
})();
