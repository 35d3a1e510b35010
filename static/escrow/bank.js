// Copy buttons of the bank transfer box: the account, the reference, the amount.
document.querySelectorAll("button.copy").forEach(function (btn) {
  btn.addEventListener("click", function () {
    var text = btn.dataset.copyText || (document.querySelector(btn.dataset.copy) || {}).textContent || "";
    var done = function () { var old = btn.textContent; btn.textContent = "✓"; setTimeout(function () { btn.textContent = old; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.trim()).then(done);
    } else {  // plain http (the embedded demo): select and copy
      var area = document.createElement("textarea");
      area.value = text.trim();
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(area); }
    }
  });
});
