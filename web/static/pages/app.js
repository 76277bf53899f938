// Small helpers for the management pages. Every page works without them.
// time.js tells the server this browser's time zone (cookie tz): pages show times in it.
import "../scan/time.js";

// A form with data-confirm asks before it is sent (the server still checks everything).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement && form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A button with data-copy="#id" copies that field's value (the new API token).
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Press Ctrl+C";
  }
});

