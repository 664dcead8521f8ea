// Signed out of casework after a sign-in through an organisation's provider: follow the link to the
// provider's end-session page at once (the link stays for a browser without script).
(function () {
  "use strict";
  var link = document.getElementById("sso-end-session");
  if (link) { window.location.replace(link.href); }
})();
