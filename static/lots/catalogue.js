/* Catalogue: on a phone the filters fold away behind a "筛选" button (aria-expanded); wide screens always show them.
   Without JS the filters simply show. */
(function () {
  "use strict";
  var toggle = document.getElementById("filters-toggle");
  var panel = document.getElementById("filter-panel");
  if (!toggle || !panel) { return; }
  var phone = window.matchMedia("(max-width: 600px)");
  function set(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    panel.classList.toggle("folded", !open);
  }
  toggle.hidden = false;
  // Folded on a phone unless a filter is in use or the form shows an error.
  set(!phone.matches || panel.hasAttribute("data-open"));
  toggle.addEventListener("click", function () { set(toggle.getAttribute("aria-expanded") !== "true"); });
  phone.addEventListener("change", function () { set(!phone.matches || toggle.getAttribute("aria-expanded") === "true"); });
})();
