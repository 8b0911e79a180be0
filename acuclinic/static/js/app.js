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
