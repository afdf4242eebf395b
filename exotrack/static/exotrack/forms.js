// A form posts once: its submit buttons are disabled as it is sent, so a double click or
// an impatient second press does not record the visit, event or patient twice. A page
// the browser shows again from its history (back button) gets its buttons back. Forms
// htmx sends stay on the page and are left to htmx, which sends one request at a time.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post" || form.hasAttribute("hx-post")) {
    return;
  }
  if (form.dataset.submitting === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
  // After this event, so the pressed button's name and value are still sent.
  setTimeout(() => {
    for (const button of form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    }
  }, 0);
});

window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitting=true]")) {
    delete form.dataset.submitting;
    for (const button of form.querySelectorAll("[aria-disabled=true]")) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
  }
});

// A page that comes back with errors opens on its error summary: the focus moves there,
// so the first thing read or seen is what to fix, with a link to each field.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
});
