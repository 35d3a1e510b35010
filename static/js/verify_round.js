// The round verifier: rebuilds the RFC 9162 Merkle root of a round from its public bid history and
// status events, and checks the platform's Ed25519 signature with WebCrypto. It trusts nothing the
// server says about the result: only the public records and the published key.
(function () {
  "use strict";
  const out = document.getElementById("verify-result");
  if (!out) return;
  const roundId = out.dataset.round;
  const statusNames = JSON.parse(document.getElementById("verify-statuses")?.textContent || "{}");  // in the page's language
  const enc = new TextEncoder();

  // Canonical JSON as the server writes it: keys sorted, no spaces (every value here is ASCII).
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    return JSON.stringify(value);
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }
  function concat(...parts) {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  }
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const leafHash = (leaf) => sha256(concat(new Uint8Array([0]), enc.encode(canonical(leaf))));

  // RFC 9162 section 2.1.1: MTH(D[n]) splits at the largest power of two smaller than n.
  async function root(hashes) {
    if (hashes.length === 0) return sha256(new Uint8Array());
    if (hashes.length === 1) return hashes[0];
    let k = 1;
    while (k * 2 < hashes.length) k *= 2;
    return sha256(concat(new Uint8Array([1]), await root(hashes.slice(0, k)), await root(hashes.slice(k))));
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    if (!r.ok) throw Object.assign(new Error(url), { status: r.status });
    return r.json();
  }

  async function bidsUpTo(lastSeq) {
    const bids = [];
    let after = 0;
    for (;;) {
      const page = await getJSON(`/api/v1/rounds/${roundId}/bids/?after_seq=${after}`);
      const chunk = page.bids.filter((b) => b.seq <= lastSeq);
      bids.push(...chunk);
      if (page.bids.length === 0 || chunk.length < page.bids.length) break;
      after = page.bids[page.bids.length - 1].seq;
    }
    return bids;
  }

  function show(text, ok) {
    out.textContent = text;
    out.className = "verify-result " + (ok ? "ok" : "bad");
    out.dataset.outcome = ok ? "ok" : "bad";
  }

  async function verify() {
    out.textContent = out.dataset.working;
    let t;
    try { t = await getJSON(`/api/v1/rounds/${roundId}/transcript/`); } catch (e) { show(out.dataset.missing, false); return; }
    const bids = (await bidsUpTo(t.last_seq)).map((b) => ({ kind: "bid", seq: b.seq, code: b.code, amount: b.amount, at: b.at, priority: !!b.priority }));
    const leaves = [...t.status_events, ...bids].sort((a, b) => a.seq - b.seq);
    const hashes = await Promise.all(leaves.map(leafHash));
    const statement = { v: 1, type: "round-transcript", round: t.round, leaf_count: leaves.length, root: hex(await root(hashes)), closed_at: t.closed_at };

    const tbody = document.querySelector("#verify-leaves tbody");
    tbody.textContent = "";
    leaves.forEach((leaf, i) => {
      const tr = document.createElement("tr");
      tr.dataset.seq = leaf.seq;
      const what = leaf.kind === "bid" ? `${leaf.code} ¥${(leaf.amount / 100).toLocaleString("zh-CN")}` : (statusNames[leaf.status] || leaf.status);
      for (const cell of [leaf.seq, what, hex(hashes[i]).slice(0, 16) + "…"]) {
        const td = document.createElement("td"); td.textContent = cell; tr.appendChild(td);
      }
      tbody.appendChild(tr);
    });
    document.getElementById("verify-leaves").hidden = false;

    const key = await crypto.subtle.importKey("raw", b64(out.dataset.publicKey), { name: "Ed25519" }, false, ["verify"]);
    const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, b64(t.signature), enc.encode(canonical(statement)));
    if (valid) { show(out.dataset.ok, true); return; }
    // Which events differ: the signed statement names the root; a rebuilt one that differs means the
    // public history is not the one that was signed.
    const signedStill = await crypto.subtle.verify({ name: "Ed25519" }, key, b64(t.signature), enc.encode(canonical(t.statement)));
    if (!signedStill) { show(out.dataset.badSignature, false); return; }
    // The signed leaf hashes are public: mark every event whose hash is not the signed one.
    const differs = leaves.filter((leaf, i) => hex(hashes[i]) !== t.leaf_hashes[i]).map((leaf) => leaf.seq);
    for (const seq of differs) tbody.querySelector(`tr[data-seq="${seq}"]`).classList.add("differs");
    if (leaves.length !== t.leaf_count) differs.push(`${leaves.length} / ${t.leaf_count}`);
    show(`${out.dataset.mismatch}: seq ${differs.join(", ")}`, false);
  }

  document.getElementById("verify-start").addEventListener("click", () => { verify().catch((e) => show(String(e), false)); });
  if (new URLSearchParams(location.search).has("auto")) verify().catch((e) => show(String(e), false));
})();
