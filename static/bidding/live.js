/* Live bid page: websocket /ws/rounds/{id}/, countdown synced to the server clock, resync on gaps. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var roundId = root.getAttribute("data-round");
  var MSG = JSON.parse(document.getElementById("live-messages").textContent);
  var REASON = JSON.parse((document.getElementById("live-reasons") || { textContent: "{}" }).textContent);
  var A = window.AuctionAmount;
  var T = JSON.parse(document.getElementById("live-text").textContent);
  var state = { snap: JSON.parse(document.getElementById("live-snapshot").textContent), offset: 0, seq: 0, bids: [] };
  var ws = null, retry = 0, chart = null, pending = {};
  var $ = function (id) { return document.getElementById(id); };

  var yuan = A.yuan;
  var FINAL = { closed: 1, sold: 1, failed: 1, paid: 1, settled: 1, defaulted: 1, withdrawn: 1 };
  // "1,234.5" -> 123450 fen, by string arithmetic (never floats near money)
  function toFen(text) {
    text = String(text || "").replace(/[,，\s¥]/g, "");
    var m = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(text);
    if (!m) return null;
    var frac = (m[2] || "") + "00";
    return parseInt(m[1], 10) * 100 + parseInt(frac.slice(0, 2), 10);
  }
  function fmtTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }
  function serverNow() { return Date.now() + state.offset; }

  function setConn(kind) {
    var el = $("conn");
    el.setAttribute("data-state", kind);
    el.textContent = T[kind] || kind;
  }
  function say(text, kind) {
    var el = $("bid-message");
    if (!el) return;
    el.textContent = text;
    el.className = "bid-message " + (kind || "");
  }

  function nextAmount() {
    var r = state.snap.round, you = state.snap.you;
    if (you && you.next_amount) return you.next_amount;
    return r.next_amount;
  }
  function prefill(force) {
    var input = $("bid-amount");
    if (!input) return;
    var current = toFen(input.value);
    var next = nextAmount();
    if (force || current === null || current < next) input.value = yuan(next);
    showCapital();
  }
  // the amount as typed, with thousands separators and in Chinese capitals (大写): a Chinese convention, shown on
  // Chinese pages only (one language a page)
  var CHINESE = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0;
  function capitalText(fen) { return CHINESE ? T.capital + "：" + A.capital(fen) : ""; }
  function showCapital() {
    var input = $("bid-amount"), out = $("bid-capital");
    if (!input || !out) return;
    var fen = toFen(input.value);
    out.textContent = fen === null ? T.badAmount : "¥" + yuan(fen) + (CHINESE ? " · " + capitalText(fen) : "");
    out.className = "bid-capital small" + (fen === null ? " error" : "");
  }
  function me() { var you = state.snap.you; return you && you.code ? you.code : null; }

  function renderRound() {
    var r = state.snap.round;
    $("status-label").textContent = T.status[r.status] || r.status;
    $("status-label").setAttribute("data-status", r.status);
    $("current-price").textContent = "¥" + yuan(r.current_price !== null ? r.current_price : r.starting_price);
    $("price-note").textContent = r.current_price === null ? T.noBids : "";
    $("leader-code").textContent = r.leader_code || "—";
    $("bid-count").textContent = r.bid_count;
    $("ends-at").textContent = fmtTime(r.ends_at);
    $("extended").hidden = !(r.scheduled_ends_at && r.ends_at && new Date(r.ends_at) > new Date(r.scheduled_ends_at));
    var mine = me();
    if (mine && r.status === "open") {
      var msg = $("bid-message");
      // leading: keep the ack's "出价成功 · 您目前领先" when it is there
      if (r.leader_code === mine) { if (!msg || !/\bok\b/.test(msg.className)) say(T.youLead, "ok"); }
      else if (state.bids.some(function (b) { return b.code === mine; })) say(T.outbid, "warn");
    } else if (mine && FINAL[r.status]) {
      var won = r.leader_code === mine && (r.status === "sold" || r.status === "paid" || r.status === "settled");
      if (r.status !== "closed") say(won ? T.youWon : (state.bids.some(function (b) { return b.code === mine; }) ? T.youLost : ""), won ? "ok won" : "info");
    }
    var submit = $("bid-submit");
    if (submit) submit.disabled = r.status !== "open";
    var form = $("bid-form");
    if (form) form.hidden = !!FINAL[r.status]; // nothing to bid on any more: the outcome says what is next
  }

  function loadOutcome() {
    var box = $("outcome");
    if (!box || state.outcomeFor === state.snap.round.status) return;
    state.outcomeFor = state.snap.round.status;
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.text() : ""; })
      .then(function (html) { if (html.trim()) box.innerHTML = html; })
      .catch(function () { state.outcomeFor = null; });
  }

  function renderBids() {
    var mine = me(), last = state.bids.length ? state.bids[state.bids.length - 1].seq : null;
    var rows = state.bids.slice(-50).reverse().map(function (b) {
      var tags = (b.code === mine ? " <span class=\"tag me\">" + T.me + "</span>" : "") +
        (b.priority ? " <span class=\"tag\">" + T.priority + "</span>" : "") + (b.proxy ? " <span class=\"tag\">" + T.proxy + "</span>" : "");
      var lead = b.seq === last;
      var standing = "<span class=\"standing " + (lead ? "lead" : "out") + "\">" + (lead ? T.leading : T.out) + "</span>";
      return "<tr data-seq=\"" + b.seq + "\" class=\"" + (b.code === mine ? "mine " : "") + (lead ? "leading" : "outbid") + "\"><td>" + b.seq +
        "</td><td class=\"bidder-code\">" + b.code + tags + "</td><td class=\"price\">" + yuan(b.amount) + "</td><td>" + standing +
        "</td><td>" + fmtTime(b.at) + "</td></tr>";
    });
    $("bid-rows").innerHTML = rows.join("");
    if (chart) {
      chart.data.labels = state.bids.map(function (b) { return "#" + b.seq; });
      chart.data.datasets[0].data = state.bids.map(function (b) { return b.amount / 100; });
      chart.update("none");
    }
  }

  function applySnapshot(snap) {
    state.snap = snap;
    if (snap.server_time) state.offset = new Date(snap.server_time).getTime() - Date.now();
    state.seq = snap.round.seq;
    state.bids = snap.bids.slice().reverse();
    renderBids(); renderRound(); prefill(false);
    if (FINAL[snap.round.status]) loadOutcome();
  }

  function gap(seq) {
    // every event carries the round's sequence number; a jump means we missed something: resync
    if (seq <= state.seq) return "old";
    if (seq !== state.seq + 1) { send({ type: "sync" }); return "gap"; }
    return "ok";
  }

  function onBid(ev) {
    var g = gap(ev.seq);
    if (g !== "ok") return;
    state.seq = ev.seq;
    var r = state.snap.round;
    var wasEnd = r.ends_at;
    r.current_price = ev.current_price; r.ends_at = ev.ends_at; r.seq = ev.seq; r.bid_count += 1; r.leader_code = ev.code;
    r.next_amount = r.kind === "selloff" ? r.starting_price : ev.current_price + r.increment;
    var you = state.snap.you;
    var wasLeading = !!(you && you.leading);
    if (you) { you.next_amount = r.next_amount; you.leading = you.code === ev.code; }
    state.bids.push(ev);
    renderBids(); renderRound(); prefill(false);
    if (wasLeading && you && !you.leading && r.kind !== "selloff") say(T.outbid, "warn"); // at once, on the other's bid
    else if (wasEnd && ev.ends_at && wasEnd !== ev.ends_at && !(you && you.code)) say(T.extendedTo + " " + fmtTime(ev.ends_at), "info");
  }

  function onStatus(ev) {
    var g = gap(ev.seq);
    if (g !== "ok") return;
    state.seq = ev.seq;
    state.snap.round.status = ev.status; state.snap.round.seq = ev.seq;
    if (ev.ends_at) state.snap.round.ends_at = ev.ends_at;
    renderRound();
    if (ev.status !== "open") send({ type: "sync" });
    if (FINAL[ev.status]) loadOutcome();
  }

  function onMessage(e) {
    var m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    if (m.type === "snapshot") applySnapshot(m);
    else if (m.type === "bid") onBid(m);
    else if (m.type === "status") onStatus(m);
    else if (m.type === "ack") {
      delete pending[m.request_id];
      // the ack may come after a later bid of someone else: say where the bidder stands now
      var r = state.snap.round;
      if (m.seq < state.seq && r.leader_code !== me()) say(T.outbid, "warn");
      else say(T.accepted + "：¥" + yuan(m.amount) + (r.kind === "selloff" ? "" : " · " + T.youLead), "ok");
    }
    else if (m.type === "proxy_ack") { say(T.proxySet + "：¥" + yuan(m.ceiling), "ok"); }
    else if (m.type === "rejected") {
      delete pending[m.request_id];
      say(REASON[m.reason] || MSG[m.code] || m.message || MSG.invalid, "error");
      if (m.code === "too_low") prefill(true);
    }
  }

  function send(obj) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    setConn(retry ? "reconnecting" : "connecting");
    ws = new WebSocket(proto + location.host + "/ws/rounds/" + roundId + "/");
    window.__liveSocket = ws;
    ws.onopen = function () { retry = 0; setConn("live"); };
    ws.onmessage = onMessage;
    ws.onclose = function () {
      setConn("reconnecting");
      retry += 1;
      // automatic reconnect with backoff; the server sends a fresh snapshot on connect (resync)
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, Math.min(retry, 5))));
    };
    ws.onerror = function () { try { ws.close(); } catch (err) { /* closing anyway */ } };
  }

  function tick() {
    var r = state.snap.round, el = $("countdown");
    var target = r.status === "announced" ? r.starts_at : r.ends_at;
    $("countdown-label").textContent = r.status === "announced" ? T.toStart : T.toEnd;
    if (!(r.status === "open" || r.status === "announced") || !target) { el.textContent = T.ended; return; }
    var left = Math.max(0, Math.floor((new Date(target).getTime() - serverNow()) / 1000));
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), mi = Math.floor(left % 3600 / 60), s = left % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    el.textContent = (d ? d + T.days + " " : "") + pad(h) + ":" + pad(mi) + ":" + pad(s);
    el.classList.toggle("urgent", r.status === "open" && left <= 300);
    // At zero the clock process opens or closes the round; ask for a fresh snapshot every 2 s until the
    // status changes (a status event may be lost: the channel layer is at-most-once).
    if (left === 0 && ws && ws.readyState === 1 && Date.now() - (state.lastZeroSync || 0) > 2000) {
      state.lastZeroSync = Date.now();
      send({ type: "sync" });
    }
  }

  function setupChart() {
    var canvas = $("price-chart");
    if (!canvas || typeof Chart === "undefined") return;
    chart = new Chart(canvas, {
      type: "line",
      data: { labels: [], datasets: [{ label: T.price, data: [], borderColor: "#c8161d", backgroundColor: "rgba(200,22,29,.12)", fill: true, stepped: true, pointRadius: 2 }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } },
                 scales: { y: { ticks: { callback: function (v) { return "¥" + Number(v).toLocaleString("zh-CN"); } } } } }
    });
  }

  function setupForms() {
    var form = $("bid-form");
    if (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var fen = toFen($("bid-amount").value);
        if (fen === null || fen <= 0) { say(T.badAmount, "error"); return; }
        confirmBid(fen, function () {
          var rid = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
          pending[rid] = fen;
          if (send({ type: "bid", amount: fen, request_id: rid })) say(T.sent, "info");
          else say(T.reconnecting, "error");
        });
      });
      $("bid-amount").addEventListener("input", showCapital);
      $("bid-amount").addEventListener("blur", function () {
        var fen = toFen($("bid-amount").value);
        if (fen !== null) $("bid-amount").value = yuan(fen);
      });
      var step = function (k) {
        var inc = state.snap.round.increment, v = toFen($("bid-amount").value) || nextAmount();
        v = Math.max(nextAmount(), v + k * inc);
        $("bid-amount").value = yuan(v);
        showCapital();
      };
      if ($("bid-plus")) $("bid-plus").addEventListener("click", function () { step(1); });
      if ($("bid-minus")) $("bid-minus").addEventListener("click", function () { step(-1); });
    }
    var proxy = $("proxy-form");
    if (proxy) {
      proxy.addEventListener("submit", function (e) {
        e.preventDefault();
        var fen = toFen($("proxy-ceiling").value);
        if (fen === null || fen <= 0) { say(T.badAmount, "error"); return; }
        send({ type: "proxy", ceiling: fen, request_id: "proxy-" + Date.now() });
      });
    }
  }

  // Every bid is confirmed in a dialog showing the amount and its capitals; a bid more than
  // T.largeJumpIncrements increments above the current price needs a second, distinct confirmation.
  function ask(title, fen, warning, okText, then) {
    var dlg = $("bid-confirm");
    if (!dlg || typeof dlg.showModal !== "function") { if (window.confirm(title + " ¥" + yuan(fen) + (warning ? "\n" + warning : ""))) then(); return; }
    $("bid-confirm-title").textContent = title;
    $("bid-confirm-amount").textContent = "¥" + yuan(fen);
    $("bid-confirm-capital").textContent = capitalText(fen);
    var w = $("bid-confirm-warning");
    w.hidden = !warning; w.textContent = warning || "";
    dlg.classList.toggle("warning", !!warning);
    $("bid-confirm-ok").textContent = okText;
    dlg.returnValue = "";
    dlg.onclose = function () { dlg.onclose = null; if (dlg.returnValue === "ok") then(); };
    dlg.showModal();
    $("bid-confirm-cancel").focus();
  }
  function confirmBid(fen, then) {
    var r = state.snap.round;
    if (r.kind === "selloff") { ask(T.confirmSelloff, fen, "", T.confirmOk, then); return; }
    var base = r.current_price !== null ? r.current_price : r.starting_price;
    var steps = Math.floor((fen - base) / r.increment);
    ask(T.confirmTitle, fen, "", T.confirmOk, function () {
      if (fen - base <= T.largeJumpIncrements * r.increment) { then(); return; }
      var text = T.jumpText.replace("%(n)s", String(steps)).replace("%(diff)s", yuan(fen - base));
      setTimeout(function () { ask(T.jumpTitle, fen, text, T.jumpOk, then); }, 0);
    });
  }

  setupChart();
  applySnapshot(state.snap);
  setupForms();
  prefill(true);
  tick();
  setInterval(tick, 250);
  connect();
})();
