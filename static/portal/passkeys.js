// Passkeys: what django-otp-webauthn's scripts need around them.
// - gettext: its messages are English already; without Django's catalogue, say them as they are.
// - After a passkey is added, show the two-step page again (the new passkey, and the message).
(function () {
  "use strict";
  if (typeof window.gettext !== "function") {
    window.gettext = function (text) {
      return text;
    };
  }
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
})();
