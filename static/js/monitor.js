/* Draws the monitor's charts (Chart.js, served from static/) from the JSON the page carries. */
(function () {
  "use strict";
  var source = document.getElementById("monitor-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#1f5fa8", "#f9a825", "#2e7d32", "#b3261e", "#6a1b9a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var chart = data[canvas.getAttribute("data-chart")];
    if (!chart) { return; }
    new window.Chart(canvas, {
      type: canvas.getAttribute("data-type"),
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, index) {
          var colour = series.colour || colours[index % colours.length];
          return {label: series.label, data: series.data, borderColor: colour, backgroundColor: colour,
                  tension: 0.2};
        })
      },
      options: {animation: false, responsive: true, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  });
}());
