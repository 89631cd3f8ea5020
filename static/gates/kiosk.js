/* Campus Code gate page: a keyboard-wedge scanner types a code and Enter; the page asks
 * the device API and, when the network is down, decides from the gate's snapshot with
 * WebCrypto Ed25519 and the same rules as campuscode/gates/decide.py (same order).
 * Events decided offline are queued in localStorage and uploaded once, by nonce. */
(function () {
  "use strict";
  var root = document.getElementById("gate");
  if (!root) return;
  var API = root.dataset.api;
  var REASONS = JSON.parse(document.getElementById("gate-reasons").textContent);
  var TEXTS = JSON.parse(document.getElementById("gate-texts").textContent);
  // Times show in the school's time zone, whatever the device's clock is set to.
  var SCHOOL_TZ = JSON.parse(document.getElementById("gate-tz").textContent);
  var KEY = { token: "cc.gate.token", snapshot: "cc.gate.snapshot", synced: "cc.gate.synced",
              queue: "cc.gate.queue", direction: "cc.gate.direction" };
  var ONLINE_TIMEOUT_MS = 2500;
  var SYNC_EVERY_MS = 60000;
  var $ = function (id) { return document.getElementById(id); };

  // --- the device token: given once in the URL fragment, then kept on the device ------
  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    localStorage.setItem(KEY.token, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  var token = localStorage.getItem(KEY.token);
  var direction = localStorage.getItem(KEY.direction) || "in";
  var snapshot = null, publicKeys = {}, used = {}, ed25519 = true, online = navigator.onLine;

  function problem(text) {
    var box = $("problem");
    box.hidden = !text;
    box.textContent = text || "";
  }

  function readJSON(key, fallback) {
    try { var v = localStorage.getItem(key); return v ? JSON.parse(v) : fallback; }
    catch (e) { return fallback; }
  }

  function queue() { return readJSON(KEY.queue, []); }
  function setQueue(items) {
    localStorage.setItem(KEY.queue, JSON.stringify(items));
    $("queued").textContent = items.length;
  }

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- base64url, bytes -------------------------------------------------------------------
  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("bad base64");
    // Only the canonical spelling: the unused low bits of the last character must be 0.
    var last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(text.slice(-1));
    var spare = { 2: 15, 3: 3 }[text.length % 4] || 0;
    if (text.length % 4 === 1 || (last & spare)) throw new Error("bad base64");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the snapshot ----------------------------------------------------------------------
  async function loadSnapshot(data) {
    snapshot = data;
    publicKeys = {};
    if (!data) return;
    $("gate-name").textContent = data.gate.name;
    $("gate-place").textContent = data.gate.campus + " · " + data.gate.place;
    for (var i = 0; i < data.keys.length; i++) {
      var k = data.keys[i];
      try {
        publicKeys[k.kid] = await crypto.subtle.importKey(
          "raw", b64urlDecode(k.public_key), { name: "Ed25519" }, false, ["verify"]);
      } catch (e) {
        ed25519 = false;
      }
    }
    if (!ed25519 || !crypto.subtle) problem(TEXTS.no_ed25519);
  }

  function isStale(nowSec) {
    return snapshot && nowSec - snapshot.generated_ts > snapshot.max_age_seconds;
  }

  // --- rules (mirror of decide.py's evaluate) --------------------------------------------
  var SEVERITY = { green: 0, yellow: 1, red: 2 };
  function worse(a, b) { a = a || "green"; b = b || "green"; return SEVERITY[a] >= SEVERITY[b] ? a : b; }
  function minutes(hhmm) { if (!hhmm) return null; var p = hhmm.split(":"); return (+p[0]) * 60 + (+p[1]); }
  function inWindow(now, start, end) { return start < end ? (start <= now && now < end) : (now >= start || now < end); }

  function localParts(nowMs, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(nowMs))
      .forEach(function (p) { parts[p.type] = p.value; });
    return { date: parts.year + "-" + parts.month + "-" + parts.day, minutes: (+parts.hour % 24) * 60 + (+parts.minute) };
  }

  function evaluate(rules, p, dir, local) {
    if (p.state === "suspended") return { allowed: false, reason: "suspended" };
    if (p.state === "left") return { allowed: false, reason: "left" };
    var outside = (p.valid_from && local.date < p.valid_from) || (p.valid_until && local.date > p.valid_until);
    if (p.kind === "visitor" && outside) return { allowed: false, reason: "visitor_invalid" };
    var entering = dir === "in";
    if (entering) {
      var restricted = rules.allowed_kinds.length || rules.allowed_unit_paths.length;
      if (p.kind === "visitor") {
        if (rules.visitor_ids.indexOf(p.id) < 0) return { allowed: false, reason: "not_allowed" };
      } else if (restricted) {
        if (!p.known) return { allowed: false, reason: "not_allowed" };
        if (rules.allowed_kinds.length && rules.allowed_kinds.indexOf(p.kind) < 0) return { allowed: false, reason: "not_allowed" };
        if (rules.allowed_unit_paths.length && !rules.allowed_unit_paths.some(function (u) { return p.unit_path.indexOf(u) === 0; }))
          return { allowed: false, reason: "not_allowed" };
      }
      if (rules.opens_at && rules.closes_at && !inWindow(local.minutes, minutes(rules.opens_at), minutes(rules.closes_at)))
        return { allowed: false, reason: "outside_hours" };
    }
    var notice = "";
    var policies = [["red", rules.red_policy, "red_status"], ["yellow", rules.yellow_policy, "yellow_status"]];
    for (var i = 0; i < policies.length; i++) {
      if (p.colour === policies[i][0]) {
        if (policies[i][1] === "refuse") return { allowed: false, reason: policies[i][2] };
        if (policies[i][1] === "notice") notice = policies[i][0];
      }
    }
    if (entering && !notice && rules.curfew_starts && rules.curfew_ends &&
        inWindow(local.minutes, minutes(rules.curfew_starts), minutes(rules.curfew_ends))) notice = "curfew";
    return { allowed: true, reason: "ok", notice: notice };
  }

  async function sha256hex16(text) {
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return hex(new Uint8Array(digest)).slice(0, 16);
  }

  // The signature is checked before anything in the payload but the key id is read.
  async function decideOffline(code, dir, nowMs) {
    var refuse = function (reason, extra) { return Object.assign({ allowed: false, reason: reason, notice: "" }, extra || {}); };
    if (!snapshot) return refuse("stale");
    if (!ed25519) return refuse("stale");
    code = code.trim();
    if (code.indexOf("CC1.") !== 0 || code.length > 200) return refuse("malformed");
    var raw;
    try { raw = b64urlDecode(code.slice(4)); } catch (e) { return refuse("malformed"); }
    if (raw.length !== 82) return refuse("malformed");
    var payload = raw.slice(0, 18), signature = raw.slice(18);
    var key = publicKeys[hex(payload.slice(1, 5))];
    if (!key) return refuse("unknown_key");
    var valid = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, payload);
    if (!valid) return refuse("bad_signature");
    var view = new DataView(payload.buffer, payload.byteOffset, 18);
    var version = view.getUint8(0), personId = Number(view.getBigUint64(5)),
        colourCode = view.getUint8(13), issued = view.getUint32(14);
    var colours = ["green", "yellow", "red"];
    if (version !== 1 || colourCode > 2) return refuse("malformed");
    var nowSec = nowMs / 1000;
    if (issued > nowSec + 30 || nowSec - issued > snapshot.code_lifetime_seconds) return refuse("expired", { person_id: personId });
    var row = snapshot.people[String(personId)];
    var facts = row ? { id: personId, known: true, kind: row[0], unit_path: row[1], state: row[2],
                        colour: worse(colours[colourCode], row[3]), valid_from: row[4], valid_until: row[5] }
                    : { id: personId, known: false, kind: "", unit_path: "", state: "active", colour: colours[colourCode] };
    var common = { person_id: personId, label: row ? row[6] : "", colour: facts.colour };
    var stale = isStale(nowSec);
    if (stale && !snapshot.degraded_allowed) return refuse("stale", common);
    var decision = evaluate(snapshot.rules, facts, dir, localParts(nowMs, snapshot.time_zone));
    var fp = await sha256hex16(code);
    if (decision.allowed) {
      if (used[fp + dir]) decision = { allowed: false, reason: "duplicate", notice: "" };
      else { used[fp + dir] = true; if (stale) decision.notice = "degraded"; }
    }
    return Object.assign(decision, common);
  }

  // --- talking to the server ----------------------------------------------------------
  function api(path, options) {
    options = options || {};
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, options.timeout || ONLINE_TIMEOUT_MS);
    var init = { method: options.method || "GET", signal: controller.signal, cache: "no-store",
                 headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" } };
    if (options.body) init.body = JSON.stringify(options.body);
    return fetch(API + path, init).then(function (response) {
      clearTimeout(timer);
      if (response.status === 401) { problem(TEXTS.token_refused); throw { auth: true }; }
      if (!response.ok) throw { status: response.status };
      return response.json();
    }, function (error) { clearTimeout(timer); setOnline(false); throw { network: true, error: error }; });
  }

  function setOnline(value) {
    online = value;
    var net = $("net");
    net.dataset.online = value ? "true" : "false";
    net.textContent = value ? TEXTS.online : TEXTS.net_offline;
  }

  function showSynced() {
    var at = +localStorage.getItem(KEY.synced) || 0;
    $("synced").textContent = at ? new Date(at).toLocaleString("zh-CN", { hour12: false, timeZone: SCHOOL_TZ }) + " (" +
      Math.floor((Date.now() - at) / 60000) + " " + TEXTS.minutes_ago + ")" : TEXTS.never;
    $("stale").hidden = !isStale(Date.now() / 1000);
    $("queued").textContent = queue().length;
  }

  async function uploadQueue() {
    var items = queue();
    if (!items.length) return;
    await api("events", { method: "POST", body: { events: items.slice(0, 500) }, timeout: 15000 });
    // Only what was sent is removed; scans queued meanwhile stay for the next round.
    var sent = {};
    items.slice(0, 500).forEach(function (e) { sent[e.nonce] = true; });
    setQueue(queue().filter(function (e) { return !sent[e.nonce]; }));
  }

  var syncing = false;
  async function sync() {
    if (!token || syncing) return;
    syncing = true;
    try {
      await uploadQueue();
      var data = await api("snapshot", { timeout: 15000 });
      localStorage.setItem(KEY.snapshot, JSON.stringify(data));
      localStorage.setItem(KEY.synced, String(Date.now()));
      await loadSnapshot(data);
      setOnline(true);
      await api("heartbeat", { method: "POST", body: { tampered: false, queue_length: queue().length,
        snapshot_age_seconds: 0, software: "gate-page/1" } });
      root.dataset.synced = "true";
    } catch (e) { /* offline or refused: keep the snapshot we have */ }
    finally { syncing = false; showSynced(); }
  }

  // --- showing an answer ----------------------------------------------------------------
  var clearTimer = null;
  function show(result, offline) {
    var box = $("answer");
    var cls = result.allowed ? (result.notice ? "notice" : "allow") : "refuse";
    box.className = "gate-answer " + cls;
    root.dataset.state = cls;
    root.dataset.reason = result.reason;
    root.dataset.source = offline ? "offline" : "online";
    $("answer-big").textContent = result.allowed ? TEXTS.allowed : TEXTS.refused;
    var reason = result.allowed ? (result.notice ? TEXTS["notice_" + result.notice] || "" : "") : (REASONS[result.reason] || result.reason);
    $("answer-reason").textContent = reason + (offline ? " · " + TEXTS.offline : "");
    $("answer-who").textContent = result.display || result.label || "";
    $("answer-when").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false, timeZone: SCHOOL_TZ });
    clearTimeout(clearTimer);
    clearTimer = setTimeout(function () {
      box.className = "gate-answer idle"; root.dataset.state = "idle";
    }, 6000);
  }

  async function handleScan(code) {
    code = code.trim();
    if (!code) return;
    var id = nonce();
    var at = new Date();
    try {
      var answer = await api("verify", { method: "POST", body: { token: code, direction: direction, nonce: id } });
      setOnline(true);
      show(answer, false);
      return;
    } catch (e) {
      if (!e.network) {
        if (!e.auth) show({ allowed: false, reason: "malformed" }, false);
        return;
      }
    }
    var result = await decideOffline(code, direction, at.getTime());
    show(result, true);
    var items = queue();
    items.push({ nonce: id, token: code.length <= 400 ? code : "", direction: direction, at: at.toISOString(),
                 allowed: result.allowed, reason: result.reason, notice: result.notice || "", colour: result.colour || "" });
    setQueue(items);
  }

  // --- keyboard only -------------------------------------------------------------------
  function setDirection(value) {
    direction = value;
    localStorage.setItem(KEY.direction, value);
    root.dataset.direction = value;
    document.querySelectorAll(".dir-btn").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.direction === value ? "true" : "false");
    });
  }
  document.querySelectorAll(".dir-btn").forEach(function (b) {
    b.addEventListener("click", function () { setDirection(b.dataset.direction); input.focus(); });
  });
  var input = $("scan-input");
  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value;
    input.value = "";
    handleScan(code);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "F2") { event.preventDefault(); setDirection(direction === "in" ? "out" : "in"); }
    if (document.activeElement !== input) input.focus();
  });
  input.addEventListener("blur", function () { setTimeout(function () { input.focus(); }, 50); });

  // --- start -------------------------------------------------------------------------------
  setDirection(direction);
  if (!window.crypto || !crypto.subtle) { ed25519 = false; problem(TEXTS.no_ed25519); }
  if (!token) { problem(TEXTS.no_token); return; }
  window.addEventListener("online", function () { setOnline(true); sync(); });
  window.addEventListener("offline", function () { setOnline(false); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: location.pathname }).catch(function () {});
    // Keep this page and its own files for a start without network.
    if (window.caches) {
      var urls = [location.pathname];
      document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (el) { urls.push(el.href || el.src); });
      caches.open("cc-gate-v1").then(function (cache) { return cache.addAll(urls); }).catch(function () {});
    }
  }
  loadSnapshot(readJSON(KEY.snapshot, null)).then(function () {
    showSynced();
    sync();
    setInterval(sync, SYNC_EVERY_MS);
    setInterval(showSynced, 15000);
    root.dataset.ready = "true";
  });
})();
