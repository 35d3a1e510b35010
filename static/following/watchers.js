/* Lot page: 人正在围观 kept current — every 15 s the open round's watchers now (GET /rounds/<id>/watchers/). */
(function () {
  "use strict";
  if (window.watchersPolling) { return; }  // the script is included once per open round's box: one timer
  window.watchersPolling = true;
  var PERIOD = 15000;
  function poll() {
    if (document.hidden) { return; }
    document.querySelectorAll(".follow-box[data-round]").forEach(function (box) {
      var el = box.querySelector(".n-watching");
      if (!el) { return; }
      fetch("/rounds/" + box.getAttribute("data-round") + "/watchers/", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && typeof data.watching_now === "number") { el.textContent = String(data.watching_now); } })
        .catch(function () { /* the number is best-effort */ });
    });
  }
  if (document.querySelector(".follow-box .n-watching")) { window.setInterval(poll, PERIOD); }
})();
