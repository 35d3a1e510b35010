/* Lot page: photo gallery and the pannellum VR tour (one scene per panorama, hotspots between them). */
(function () {
  "use strict";
  var main = document.getElementById("gallery-main");
  document.querySelectorAll(".thumb-btn").forEach(function (btn) {
    btn.addEventListener("click", function () {
      main.src = btn.getAttribute("data-src");
      main.alt = btn.title;
      document.querySelectorAll(".thumb-btn").forEach(function (b) { b.classList.remove("active"); });
      btn.classList.add("active");
    });
  });
  var cfgEl = document.getElementById("tour-config");
  if (cfgEl && window.pannellum) {
    var viewer = window.pannellum.viewer("panorama", JSON.parse(cfgEl.textContent));
    window.lotViewer = viewer;
    document.querySelectorAll(".scene-btn").forEach(function (btn) {
      btn.addEventListener("click", function () { viewer.loadScene(btn.getAttribute("data-scene")); });
    });
  }
})();
