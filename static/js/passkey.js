// After a passkey is registered on the enrolment page: on to the backup codes.
document.addEventListener("otp_webauthn.register_complete", () => {
  const done = document.getElementById("passkey-done");
  if (done) window.location.assign(done.dataset.next);
});
