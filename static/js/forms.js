/* casework forms: a form that comes back with errors brings its error summary into focus (the
   summary lists every problem and links to its field), and a link in the summary moves focus to
   the field itself.
   No dependencies, no inline code (the Content-Security-Policy allows scripts from 'self' only). */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field) { return; }
    event.preventDefault();
    field.focus();
    field.scrollIntoView({block: "center"});
  });
}());
