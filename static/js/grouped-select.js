/* A school select grouped by board (<optgroup label="board">) next to the board's select
   (data-grouped-by="<id of the board select>"): only the chosen board's schools are offered;
   a school of another board is cleared. Without JavaScript all groups show and the server
   refuses a mismatch. No dependencies, no inline code (CSP). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-grouped-by]").forEach(function (schools) {
    var boards = document.getElementById(schools.getAttribute("data-grouped-by"));
    if (!boards) { return; }
    function apply() {
      var chosen = boards.value ? boards.options[boards.selectedIndex].text : "";
      Array.prototype.forEach.call(schools.querySelectorAll("optgroup"), function (group) {
        var offered = !chosen || group.label === chosen;
        group.hidden = !offered;
        group.disabled = !offered;
      });
      var selected = schools.options[schools.selectedIndex];
      if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
        schools.value = "";
      }
    }
    boards.addEventListener("change", apply);
    apply();
  });
}());
