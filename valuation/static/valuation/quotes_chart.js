// The quotes of a valuation side by side against the reference price (Chart.js, served locally).
(function () {
  "use strict";
  var el = document.getElementById("quotes-chart-data");
  var canvas = document.getElementById("quotes-chart");
  if (!el || !canvas || typeof Chart === "undefined") { return; }
  var d = JSON.parse(el.textContent);
  if (!d.prices.length) { return; }
  var toYuan = function (fen) { return fen / 100; };
  var labels = JSON.parse(canvas.getAttribute("data-labels"));
  var values = d.prices.map(toYuan).concat(d.reference ? [toYuan(d.reference)] : []);
  var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values), pad = Math.max((hi - lo) * 0.2, hi * 0.05);
  // The reference price as a horizontal line across the whole chart.
  var referenceLine = {
    id: "referenceLine",
    afterDatasetsDraw: function (chart) {
      if (!d.reference) { return; }
      var y = chart.scales.y.getPixelForValue(toYuan(d.reference)), area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#c8161d"; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = "#c8161d"; ctx.font = "12px sans-serif"; ctx.textAlign = "right"; ctx.textBaseline = "bottom";
      ctx.fillText(labels.reference + " ¥" + toYuan(d.reference).toLocaleString("zh-CN", {minimumFractionDigits: 2}), area.right - 4, y - 4);
      ctx.restore();
    }
  };
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: d.labels,
      datasets: [
        { label: labels.quote, data: d.prices.map(toYuan), maxBarThickness: 90,
          backgroundColor: d.used.map(function (u) { return u ? "rgba(11,87,208,.75)" : "rgba(150,150,150,.5)"; }) },
        { type: "line", label: labels.reference, data: [], borderColor: "#c8161d", borderDash: [6, 4], pointRadius: 0 }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: false, suggestedMin: Math.max(0, lo - pad), suggestedMax: hi + pad,
                     ticks: { callback: function (v) { return v.toLocaleString("zh-CN"); } } } },
      plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": ¥" + c.parsed.y.toLocaleString("zh-CN", {minimumFractionDigits: 2}); } } } }
    },
    plugins: [referenceLine]
  });
})();
