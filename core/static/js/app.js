// A form is sent once: a second click while the first submit is on its way is
// ignored. Buttons are not disabled, because a disabled submit button would drop
// its own name and value (e.g. "Register anyway") from the request.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitting === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
});

// Coming back with the browser's Back button restores the page as it was;
// let its forms be sent again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
  });
});

// A page with errors moves the focus to their summary, so a screen reader reads it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
});

// data-show-if="name=value1,value2": show the block only while one of those values
// is chosen. Without JavaScript every block stays visible (its label says when it applies).
function updateConditionalBlocks() {
  document.querySelectorAll("[data-show-if]").forEach((block) => {
    const [name, values] = block.dataset.showIf.split("=");
    const wanted = values.split(",");
    const chosen = Array.from(document.querySelectorAll(`input[name="${name}"]:checked`));
    block.hidden = !chosen.some((input) => wanted.includes(input.value));
  });
}
document.addEventListener("DOMContentLoaded", updateConditionalBlocks);
document.addEventListener("change", updateConditionalBlocks);

// Copy buttons: data-copy-target names the input whose value to copy.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  input.select();
  navigator.clipboard?.writeText(input.value).then(() => {
    button.textContent = "Copied";
  });
});

// Point completion. A text input marked data-point-completion offers the WHO points
// whose code or name matches what is being typed after the last comma; the data is
// the static file named by the data-point-list around it (sessions/points.json,
// fetched once and kept by the browser: its name changes with its content).
// Without JavaScript the field still takes typed codes, and the form links to the list.
const MERIDIAN_ALIASES = {
  UB: "BL", TW: "TE", SJ: "TE", TB: "TE", DU: "GV", REN: "CV", RN: "CV",
  LV: "LR", LIV: "LR", P: "PC", H: "HT", K: "KI", KID: "KI",
};
const MAX_SUGGESTIONS = 8;

function pointMatches(points, query) {
  const compact = query.toUpperCase().replace(/[\s.-]/g, "");
  const code = compact.match(/^([A-Z]+)(\d*)$/);
  const found = [];
  if (code) {
    const meridian = MERIDIAN_ALIASES[code[1]] || code[1];
    const prefix = meridian + code[2];
    // Extra points are coded with hyphens (EX-HN3); "exhn3" and "EX-HN" find them.
    const bare = (p) => p[0].replace(/-/g, "");
    const exact = points.find((p) => bare(p) === prefix);
    if (exact) found.push(exact);
    points.forEach((p) => {
      if (p !== exact && bare(p).startsWith(prefix) && /\d/.test(bare(p).slice(meridian.length, meridian.length + 1))) {
        found.push(p);
      }
    });
  }
  if (query.trim().length >= 2) {
    const name = query.trim().toLowerCase();
    points.forEach((p) => {
      if (!found.includes(p) && p[1].toLowerCase().startsWith(name)) found.push(p);
    });
  }
  return found.slice(0, MAX_SUGGESTIONS);
}

function setUpPointCompletion(input, pointList) {
  let points = [];
  const list = document.createElement("ul");
  list.id = `${input.id}-suggestions`;
  list.className = "list-group point-suggestions shadow-sm";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Matching points");
  list.hidden = true;
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  let matches = [];
  let active = -1;

  const token = () => {
    const end = input.selectionStart;
    const before = input.value.slice(0, end);
    const start = Math.max(before.lastIndexOf(","), before.lastIndexOf(";"), before.lastIndexOf("\n")) + 1;
    return { start, end, text: before.slice(start) };
  };

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.classList.toggle("active", i === index);
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) input.setAttribute("aria-activedescendant", `${list.id}-${index}`);
  };

  const choose = (index) => {
    const { start, end } = token();
    const after = input.value.slice(end).replace(/^[^,;\n]*/, "");
    const lead = start > 0 ? " " : "";
    const text = `${input.value.slice(0, start)}${lead}${matches[index][0]}, `;
    input.value = text + after.replace(/^[,;]\s*/, "");
    input.setSelectionRange(text.length, text.length);
    close();
    input.focus();
  };

  const update = () => {
    const { text } = token();
    matches = text.trim() ? pointMatches(points, text.trim()) : [];
    list.replaceChildren(
      ...matches.map(([code, pinyin, meridian], i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.className = "list-group-item list-group-item-action py-1";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.code = code;
        const strong = document.createElement("strong");
        strong.textContent = code;
        option.append(strong, ` ${pinyin} `);
        const small = document.createElement("small");
        small.className = "text-body-secondary";
        small.textContent = meridian;
        option.append(small);
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        return option;
      }),
    );
    list.hidden = matches.length === 0;
    input.setAttribute("aria-expanded", matches.length ? "true" : "false");
    highlight(matches.length ? 0 : -1);
  };

  // What was typed before the list arrived is matched once it does.
  let loaded = false;
  let typedEarly = false;
  pointList.then((list) => {
    points = list;
    loaded = true;
    if (typedEarly && document.activeElement === input) update();
  });

  input.addEventListener("input", () => {
    typedEarly ||= !loaded;
    update();
  });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + matches.length) % matches.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      close();
    }
  });
}

const pointLists = {};

function fetchPointList(url) {
  // An unreachable list leaves the field as a plain text field.
  pointLists[url] ??= fetch(url, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : []))
    .catch(() => []);
  return pointLists[url];
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-point-completion]").forEach((input) => {
    const url = input.closest("[data-point-list]")?.dataset.pointList;
    if (url) setUpPointCompletion(input, fetchPointList(url));
  });
});
