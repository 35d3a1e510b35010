/* Money for people, from integer fen (never floats): thousands separators and Chinese capitals (大写).
   window.AuctionAmount = { yuan(fen) -> "1,141,200.00", capital(fen) -> "壹佰壹拾肆万壹仟贰佰元整" } */
(function () {
  "use strict";
  var DIGITS = "零壹贰叁肆伍陆柒捌玖";
  var UNITS = ["", "拾", "佰", "仟"];
  var BIG = ["", "万", "亿", "万亿"];

  function yuan(fen) {
    if (fen === null || fen === undefined || isNaN(fen)) return "—";
    var neg = fen < 0; fen = Math.abs(fen);
    var y = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var f = (fen % 100).toString(); if (f.length < 2) f = "0" + f;
    return (neg ? "-" : "") + y + "." + f;
  }

  function four(n) { // 0 < n < 10000
    var out = "", zero = false;
    for (var i = 3; i >= 0; i--) {
      var d = Math.floor(n / Math.pow(10, i)) % 10;
      if (d === 0) { zero = out.length > 0; continue; }
      if (zero) { out += "零"; zero = false; }
      out += DIGITS[d] + UNITS[i];
    }
    return out;
  }

  function capital(fen) {
    if (fen === null || fen === undefined || isNaN(fen)) return "";
    if (fen < 0) return "负" + capital(-fen);
    if (fen === 0) return "零元整";
    var whole = Math.floor(fen / 100), cents = fen % 100, jiao = Math.floor(cents / 10), fenDigit = cents % 10;
    var text = "";
    if (whole) {
      var groups = [], n = whole;
      while (n) { groups.push(n % 10000); n = Math.floor(n / 10000); }
      var parts = [], needZero = false;
      for (var idx = groups.length - 1; idx >= 0; idx--) {
        var g = groups[idx];
        if (g === 0) { needZero = parts.length > 0; continue; }
        if (parts.length && (needZero || g < 1000)) parts.push("零");
        parts.push(four(g) + BIG[idx]);
        needZero = false;
      }
      text = parts.join("") + "元";
    }
    if (jiao === 0 && fenDigit === 0) return text + "整";
    if (jiao) text += DIGITS[jiao] + "角";
    else if (whole) text += "零";
    if (fenDigit) text += DIGITS[fenDigit] + "分";
    return text;
  }

  window.AuctionAmount = { yuan: yuan, capital: capital };
})();
