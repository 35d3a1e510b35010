// Charts of the public statistics page (Chart.js from npm, served as static/vendor; no CDN).
(function () {
  var el = document.getElementById("statistics-data");
  if (!el || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  var rate = document.getElementById("chart-sale-rate");
  if (rate) {
    new Chart(rate, {
      type: "bar",
      data: { labels: data.months, datasets: [
        { label: data.labels.sale_rate, data: data.sale_rate, backgroundColor: "#c8161d", yAxisID: "y" },
        { label: data.labels.sold, data: data.lots_sold, type: "line", borderColor: "#0b57d0", yAxisID: "y1" },
        { label: data.labels.auctioned, data: data.lots_auctioned, type: "line", borderColor: "#777", yAxisID: "y1" }
      ] },
      options: { responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, max: 100 }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } }
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
      options: { responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } }
    });
  }
})();
