// Price chart of a round's bid history (codes only, never names).
(function () {
  var el = document.getElementById("result-data");
  var canvas = document.getElementById("chart-bids");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: [{ label: canvas.dataset.label, data: data.amounts_yuan, borderColor: "#c8161d", stepped: true }] },
    options: { responsive: true, plugins: { tooltip: { callbacks: { afterLabel: function (ctx) { return data.codes[ctx.dataIndex]; } } } } }
  });
})();
