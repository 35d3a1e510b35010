/* Countdowns to a round's start or end, synced to the SERVER clock (which may run ahead in demo/test mode).
   The page carries data-server-now; /healthz refines it (round trip halved). */
(function () {
  "use strict";
  var root = document.querySelector("[data-server-now]");
  var offset = 0; // server time - local time, ms
  if (root) { offset = Date.parse(root.getAttribute("data-server-now")) - Date.now(); }
  function sync() {
    var t0 = Date.now();
    fetch("/healthz", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (j) {
      var t1 = Date.now();
      var server = Date.parse(j.now);
      if (!isNaN(server)) { offset = server + (t1 - t0) / 2 - t1; }
    }).catch(function () { /* keep the page's value */ });
  }
  var en = (document.documentElement.lang || "").indexOf("en") === 0;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(ms) {
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var rest = pad(h) + ":" + pad(m) + ":" + pad(s % 60);
    if (d > 0) { return d + (en ? "d " : "天 ") + rest; }
    return rest;
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll(".countdown[data-target]").forEach(function (el) {
      var target = Date.parse(el.getAttribute("data-target"));
      if (isNaN(target)) { return; }
      var left = target - now;
      el.textContent = left > 0 ? el.getAttribute("data-prefix") + " " + fmt(left) : el.getAttribute("data-done");
      el.classList.toggle("soon", left > 0 && left < 5 * 60 * 1000);
    });
  }
  window.serverNow = function () { return Date.now() + offset; };
  sync();
  tick();
  setInterval(tick, 1000);
  setInterval(sync, 60000);
})();
