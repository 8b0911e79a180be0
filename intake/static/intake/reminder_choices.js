// "How should we remind you of your appointments?" on the intake's first step:
// email is offered only while an email address is typed above, a text message only
// while a phone number is. Without JavaScript every choice shows, and the server
// says when a choice has no address to go to.
(() => {
  const NEEDS = { email: "id_email", sms: "id_phone" };

  function update() {
    Object.entries(NEEDS).forEach(([value, fieldId]) => {
      const choice = document.querySelector(`input[name="reminder_channel"][value="${value}"]`);
      const field = document.getElementById(fieldId);
      if (!choice || !field) return;
      const offered = field.value.trim() !== "";
      choice.closest(".form-check").hidden = !offered;
      if (!offered && choice.checked) {
        // Cleared for a moment while retyping: the choice comes back with the address.
        choice.checked = false;
        choice.dataset.restore = "true";
      } else if (offered && choice.dataset.restore) {
        delete choice.dataset.restore;
        if (!document.querySelector('input[name="reminder_channel"]:checked')) choice.checked = true;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("input", update);
})();
