// Case account balance over time (amounts arrive in integer fen; shown in yuan).
(function () {
  var el = document.getElementById("balance-chart");
  if (!el || typeof Chart === "undefined") return;
  var points = (el.dataset.points || "").split(",").filter(Boolean).map(function (v) { return parseInt(v, 10) / 100; });
  new Chart(el, {
    type: "line",
    data: { labels: points.map(function (_, i) { return i + 1; }), datasets: [{ data: points, borderColor: "#c8161d", stepped: true, fill: false }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
  });
})();
