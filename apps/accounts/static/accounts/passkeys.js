// After a passkey is added, reload so the page lists it and the member goes on (the
// library only shows a status line). A file of its own: the CSP allows no inline script.
document.addEventListener("otp_webauthn.register_complete", () => {
  const next = new URLSearchParams(window.location.search).get("next");
  window.location.assign(next && next.startsWith("/") ? next : "/accounts/security/");
});
