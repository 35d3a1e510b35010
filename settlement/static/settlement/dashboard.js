// Charts of the court's dashboard (Chart.js served from static/vendor; no CDN).
(function () {
  var el = document.getElementById("dashboard-data");
  if (!el || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  var rate = document.getElementById("chart-sale-rate");
  if (rate) {
    new Chart(rate, {
      type: "bar",
      data: { labels: data.months, datasets: [{ label: data.labels.sale_rate, data: data.sale_rate, backgroundColor: "#c8161d" }] },
      options: { responsive: true, scales: { y: { beginAtZero: true, max: 100 } } }
    });
  }
  var amounts = document.getElementById("chart-amounts");
  if (amounts) {
    new Chart(amounts, {
      type: "line",
      data: { labels: data.months, datasets: [
        { label: data.labels.amount, data: data.amount_yuan, borderColor: "#0b57d0", yAxisID: "y" },
        { label: data.labels.commission, data: data.commission_yuan, borderColor: "#1a7f37", yAxisID: "y1" }
      ] },
      options: { responsive: true, scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } }
    });
  }
})();
