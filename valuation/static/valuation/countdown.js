// Deadlines counting down against the server's clock (which may be advanced in demo/test mode).
(function () {
  "use strict";
  var root = document.querySelector("[data-server-now]");
  var offset = root ? Number(root.getAttribute("data-server-now")) - Date.now() : 0;
  var units = (root && root.getAttribute("data-units") || "天|小时|分|秒|已截止").split("|");
  function render() {
    var now = Date.now() + offset;
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - now) / 1000);
      if (left <= 0) { el.textContent = units[4]; el.classList.add("over"); return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = (d ? d + units[0] + " " : "") + h + units[1] + " " + m + units[2] + " " + s + units[3];
      el.classList.toggle("soon", left < 86400);
    });
  }
  render();
  setInterval(render, 1000);
})();
