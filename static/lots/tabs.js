/* Lot page tabs (WAI-ARIA tabs pattern): one panel at a time, no reload; arrows/Home/End move between tabs;
   the URL's #hash names the open tab (links and the back button work). Without JS every panel shows. */
(function () {
  "use strict";
  document.querySelectorAll("[data-tabs]").forEach(function (box) {
    var tabs = Array.prototype.slice.call(box.querySelectorAll('[role="tab"]'));
    var panels = tabs.map(function (t) { return document.getElementById(t.getAttribute("aria-controls")); });
    box.classList.add("tabs-ready");
    function select(index, focus) {
      tabs.forEach(function (t, i) {
        var on = i === index;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.setAttribute("tabindex", on ? "0" : "-1");
        panels[i].hidden = !on;
      });
      if (focus) { tabs[index].focus(); }
    }
    function fromHash() {
      var i = tabs.findIndex(function (t) { return "#" + t.getAttribute("aria-controls") === window.location.hash; });
      return i < 0 ? 0 : i;
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function (e) {
        e.preventDefault();
        select(i, false);
        history.replaceState(null, "", "#" + tab.getAttribute("aria-controls"));
      });
      tab.addEventListener("keydown", function (e) {
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
        if (next === undefined) { return; }
        e.preventDefault();
        select((next + tabs.length) % tabs.length, true);
      });
    });
    window.addEventListener("hashchange", function () { select(fromHash(), false); });
    select(fromHash(), false);
  });
})();
