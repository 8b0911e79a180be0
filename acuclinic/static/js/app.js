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
