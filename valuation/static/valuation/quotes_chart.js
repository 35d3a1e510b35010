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
  var datasets = [{
    type: "bar", label: labels.quote, data: d.prices.map(toYuan),
    backgroundColor: d.used.map(function (u) { return u ? "rgba(11,87,208,.75)" : "rgba(150,150,150,.5)"; })
  }];
  if (d.reference) {
    datasets.push({ type: "line", label: labels.reference, data: d.prices.map(function () { return toYuan(d.reference); }),
      borderColor: "#c8161d", borderWidth: 2, pointRadius: 0, fill: false });
  }
  new Chart(canvas, {
    data: { labels: d.labels, datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: false, ticks: { callback: function (v) { return v.toLocaleString("zh-CN"); } } } },
      plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": ¥" + c.parsed.y.toLocaleString("zh-CN", {minimumFractionDigits: 2}); } } } }
    }
  });
})();
