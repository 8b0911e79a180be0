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

// Point completion. A field marked data-point-completion offers the WHO points
// whose code or name matches what is being typed after the last comma; the data is
// the static file named by the data-point-list around it (sessions/points.json,
// fetched once and kept by the browser: its name changes with its content), rows of
// [code, name, meridian, takes a side (1 or 0)]. A point on a paired channel is offered with each side too
// (GB20, GB20 L, GB20 R); the server reads a side typed after the ", " a pick leaves
// ("GB20, L") as that point's side.
// Without JavaScript the field still takes typed codes, and the form links to the list.
const MERIDIAN_ALIASES = {
  UB: "BL", TW: "TE", SJ: "TE", TB: "TE", DU: "GV", REN: "CV", RN: "CV",
  LV: "LR", LIV: "LR", P: "PC", H: "HT", K: "KI", KID: "KI",
};
// The vessels on the midline take no side.
const MIDLINE = new Set(["GV", "CV"]);
const SIDES = { L: "L", LT: "L", LEFT: "L", R: "R", RT: "R", RIGHT: "R" };
// A side typed after the ", " a pick leaves, then a space: the next code starts after it.
const SIDE_FIRST = /^\s*\(?(?:l|lt|left|r|rt|right|b|bil|bilat|bilateral|both)\)?\s+/i;
// "GB20, L, " or "GB20, L " before the next pick: written "GB20 L, " when it is made.
const SIDE_AFTER_COMMA = /(\d)\s*[,;]\s*\(?(l|lt|left|r|rt|right)\)?\s*[,;]?\s*$/i;
const SIDE_NAMES = { L: "left", R: "right" };
const MAX_SUGGESTIONS = 8;

// A code's letters and number, whatever is written between them: "EX-HN3" and
// "ex hn 3" are ["EXHN", "3"], "gb-20" is ["GB", "20"]. Null for anything else.
function codeParts(text) {
  const match = text.toUpperCase().replace(/[\s.-]/g, "").match(/^([A-Z]+)(\d*)$/);
  return match ? [match[1], match[2]] : null;
}

// The point list says whether a point takes a side (its fourth item, 0 or 1; the
// midline points, Yintang and the like, do not).
function takesSide(point) {
  if (point.length > 3) return Boolean(point[3]);
  return !MIDLINE.has(codeParts(point[0])?.[0]);
}

// The suggestions for what is typed, as [point, side] ("" for no side): the point
// whose code (or whole name) it is, with each side, then the codes it starts, then
// the names it starts. "gb20 r" asks for GB20 on the right.
function pointMatches(points, query) {
  const sided = query.match(/^(.*\d)\s*\(?\s*(l|lt|left|r|rt|right)\s*\)?$/i);
  const typed = codeParts(sided ? sided[1] : query);
  const name = query.trim().toLowerCase();
  let exact = null;
  const others = [];
  if (typed) {
    const [letters, number] = typed;
    const meridian = MERIDIAN_ALIASES[letters] || letters;
    points.forEach((point) => {
      const parts = codeParts(point[0]);
      if (!parts) return;
      if (number && parts[0] === meridian && parts[1] === number) {
        exact = point;
      } else if (number ? parts[0] === meridian && parts[1].startsWith(number)
        : parts[0] === meridian || (letters.length >= 2 && parts[0].startsWith(letters))) {
        others.push(point);
      }
    });
  }
  if (!sided && name.length >= 2) {
    exact ??= points.find((point) => point[1].toLowerCase() === name) || null;
    points.forEach((point) => {
      if (point !== exact && !others.includes(point) && point[1].toLowerCase().startsWith(name)) {
        others.push(point);
      }
    });
  }
  const found = [];
  if (exact && sided) {
    if (takesSide(exact)) found.push([exact, SIDES[sided[2].toUpperCase()]]);
  } else if (exact) {
    found.push([exact, ""]);
    if (takesSide(exact)) found.push([exact, "L"], [exact, "R"]);
  }
  if (!sided) others.forEach((point) => found.push([point, ""]));
  return found.slice(0, MAX_SUGGESTIONS);
}

// A textarea marked data-auto-grow is as tall as its text, never shorter than the rows
// it is drawn with. Its rows change, not its style: the Content-Security-Policy allows
// no inline style.
function fitRows(textarea) {
  textarea.dataset.minRows ||= String(textarea.rows);
  textarea.rows = Number(textarea.dataset.minRows);
  while (textarea.scrollHeight > textarea.clientHeight && textarea.rows < 30) {
    textarea.rows += 1;
  }
}
const fitAllRows = () => document.querySelectorAll("textarea[data-auto-grow]").forEach(fitRows);
document.addEventListener("input", (event) => {
  if (event.target.matches?.("textarea[data-auto-grow]")) fitRows(event.target);
});
document.addEventListener("DOMContentLoaded", fitAllRows);
window.addEventListener("resize", fitAllRows);

function setUpPointCompletion(input, pointList) {
  let points = [];
  const list = document.createElement("ul");
  list.id = `${input.id}-suggestions`;
  list.className = "list-group point-suggestions shadow-sm";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Matching points");
  list.hidden = true;
  input.after(list);
  // A one-line input is an ARIA combobox. A textarea may not carry that role: it stays a
  // text box that names its list and its active suggestion, and a status line says when
  // suggestions appear (a text box has no "expanded" state to say it).
  const combobox = input.matches("input");
  const status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.after(status);
  if (combobox) {
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-expanded", "false");
  } else {
    input.setAttribute("aria-haspopup", "listbox");
  }
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);

  let matches = [];
  let active = -1;

  const showOpen = (count) => {
    if (combobox) input.setAttribute("aria-expanded", count ? "true" : "false");
    const said = count
      ? `${count} matching point${count === 1 ? "" : "s"}: arrow keys to choose, Enter to pick.`
      : "";
    if (status.textContent !== said) status.textContent = said;
  };

  // What is being typed: the text before the caret since the last comma, semicolon or
  // line, less a side typed for the code before it ("GB20, L bl2" is typing "bl2").
  const token = () => {
    const end = input.selectionStart;
    const before = input.value.slice(0, end);
    let start = Math.max(before.lastIndexOf(","), before.lastIndexOf(";"), before.lastIndexOf("\n")) + 1;
    start += before.slice(start).match(SIDE_FIRST)?.[0].length ?? 0;
    return { start, end, text: before.slice(start) };
  };

  const close = () => {
    list.hidden = true;
    showOpen(0);
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
    const before = input.value.slice(0, start).replace(
      SIDE_AFTER_COMMA,
      (_, digit, side) => `${digit} ${SIDES[side.toUpperCase()]}, `,
    );
    const lead = before && !/\s$/.test(before) ? " " : "";
    const [[code], side] = matches[index];
    const text = `${before}${lead}${side ? `${code} ${side}` : code}, `;
    input.value = text + after.replace(/^[,;]\s*/, "");
    input.setSelectionRange(text.length, text.length);
    if (input.matches("textarea[data-auto-grow]")) fitRows(input);
    close();
    input.focus();
  };

  const update = () => {
    const { text } = token();
    matches = text.trim() ? pointMatches(points, text.trim()) : [];
    list.replaceChildren(
      ...matches.map(([[code, pinyin, meridian], side], i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.className = "list-group-item list-group-item-action py-1";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.code = side ? `${code} ${side}` : code;
        const strong = document.createElement("strong");
        strong.textContent = option.dataset.code;
        option.append(strong, ` ${pinyin} `);
        const small = document.createElement("small");
        small.className = "text-body-secondary";
        small.textContent = side ? `${meridian}, ${SIDE_NAMES[side]}` : meridian;
        option.append(small);
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        return option;
      }),
    );
    list.hidden = matches.length === 0;
    showOpen(matches.length);
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
  document.querySelectorAll("[data-point-completion]").forEach((input) => {
    const url = input.closest("[data-point-list]")?.dataset.pointList;
    if (url) setUpPointCompletion(input, fetchPointList(url));
  });
});
