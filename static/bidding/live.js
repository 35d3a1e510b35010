/* Live bid page: websocket /ws/rounds/{id}/, countdown synced to the server clock, resync on gaps. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var roundId = root.getAttribute("data-round");
  var MSG = JSON.parse(document.getElementById("live-messages").textContent);
  var T = JSON.parse(document.getElementById("live-text").textContent);
  var state = { snap: JSON.parse(document.getElementById("live-snapshot").textContent), offset: 0, seq: 0, bids: [] };
  var ws = null, retry = 0, chart = null, pending = {};
  var $ = function (id) { return document.getElementById(id); };

  function yuan(fen) {
    if (fen === null || fen === undefined) return "—";
    var neg = fen < 0; fen = Math.abs(fen);
    var y = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var f = (fen % 100).toString(); if (f.length < 2) f = "0" + f;
    return (neg ? "-" : "") + y + "." + f;
  }
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
    if (force || current === null || current < next) input.value = yuan(next).replace(/,/g, "");
  }

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
    var you = state.snap.you;
    if (you && you.code && r.leader_code === you.code && r.status === "open") say(T.youLead, "ok");
    var submit = $("bid-submit");
    if (submit) submit.disabled = r.status !== "open";
  }

  function renderBids() {
    var rows = state.bids.slice(-50).reverse().map(function (b) {
      var tags = (b.priority ? " <span class=\"tag\">" + T.priority + "</span>" : "") + (b.proxy ? " <span class=\"tag\">" + T.proxy + "</span>" : "");
      return "<tr data-seq=\"" + b.seq + "\"><td>" + b.seq + "</td><td class=\"bidder-code\">" + b.code + tags + "</td><td class=\"price\">" +
        yuan(b.amount) + "</td><td>" + fmtTime(b.at) + "</td></tr>";
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
    renderRound(); renderBids(); prefill(false);
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
    if (you) { you.next_amount = r.next_amount; you.leading = you.code === ev.code; }
    state.bids.push(ev);
    if (wasEnd && ev.ends_at && wasEnd !== ev.ends_at) say(T.extendedTo + " " + fmtTime(ev.ends_at), "info");
    renderRound(); renderBids(); prefill(false);
  }

  function onStatus(ev) {
    var g = gap(ev.seq);
    if (g !== "ok") return;
    state.seq = ev.seq;
    state.snap.round.status = ev.status; state.snap.round.seq = ev.seq;
    if (ev.ends_at) state.snap.round.ends_at = ev.ends_at;
    renderRound();
    if (ev.status !== "open") send({ type: "sync" });
  }

  function onMessage(e) {
    var m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    if (m.type === "snapshot") applySnapshot(m);
    else if (m.type === "bid") onBid(m);
    else if (m.type === "status") onStatus(m);
    else if (m.type === "ack") { delete pending[m.request_id]; say(T.accepted + "：¥" + yuan(m.amount), "ok"); }
    else if (m.type === "proxy_ack") { say(T.proxySet + "：¥" + yuan(m.ceiling), "ok"); }
    else if (m.type === "rejected") {
      delete pending[m.request_id];
      say(MSG[m.code] || m.message || MSG.invalid, "error");
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
        var rid = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
        pending[rid] = fen;
        if (!send({ type: "bid", amount: fen, request_id: rid })) say(T.reconnecting, "error");
      });
      var step = function (k) {
        var inc = state.snap.round.increment, v = toFen($("bid-amount").value) || nextAmount();
        v = Math.max(nextAmount(), v + k * inc);
        $("bid-amount").value = yuan(v).replace(/,/g, "");
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

  setupChart();
  applySnapshot(state.snap);
  setupForms();
  prefill(true);
  tick();
  setInterval(tick, 250);
  connect();
})();
