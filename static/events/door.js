/* Campus Code event door scanner (R2.5): a keyboard-wedge scanner (or a phone's keyboard)
 * types a campus code and Enter. Online, the server decides (events/door.py: the event's
 * rules, the engine's once-per-person mark). When the network fails, the page decides
 * from its list, as static/gates/kiosk.js does for gates: the code's Ed25519 signature
 * (WebCrypto) and age, the sittings' windows, the people on the list, and who this
 * device already signed in. Scans decided offline are kept in localStorage and uploaded
 * once each (by nonce) with the code read, which the server verifies again; a loud
 * banner shows how many wait. */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root) return;
  var REASONS = JSON.parse(document.getElementById("door-reasons").textContent);
  var TEXTS = JSON.parse(document.getElementById("door-texts").textContent);
  var SCHOOL_TZ = JSON.parse(document.getElementById("door-tz").textContent);
  var STORE = root.dataset.storage;
  var ONLINE_TIMEOUT_MS = 2500, SYNC_EVERY_MS = 30000, UPLOAD_BATCH = 500;
  var $ = function (id) { return document.getElementById(id); };

  var list = load("list", null), queue = load("queue", []), done = {}, keys = {};
  var ed25519 = !!(window.crypto && crypto.subtle), online = navigator.onLine;
  var direction = root.dataset.direction;

  function load(name, fallback) {
    try { var v = localStorage.getItem(STORE + "." + name); return v ? JSON.parse(v) : fallback; }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(STORE + "." + name, JSON.stringify(value)); } catch (e) { /* memory only */ }
  }

  var problems = {};
  function problem(name, text) {
    if (text) problems[name] = text; else delete problems[name];
    var lines = Object.keys(problems).map(function (k) { return problems[k]; });
    $("problem").hidden = !lines.length;
    $("problem").textContent = lines.join("\n");
  }

  // --- base64url and the code's layout (codes/tokens.py) ----------------------------------
  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("bad base64");
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

  async function useList(data) {
    list = data;
    keys = {};
    done = {};
    if (!data) return;
    Object.keys(data.people).forEach(function (pid) { if (data.people[pid][1] === "in") done[pid + ":in"] = true; });
    queue.forEach(function (item) { if (item.ok && item.person_id) done[item.person_id + ":" + item.direction] = true; });
    for (var i = 0; i < data.keys.length; i++) {
      try {
        keys[data.keys[i].kid] = await crypto.subtle.importKey(
          "raw", b64urlDecode(data.keys[i].public_key), { name: "Ed25519" }, false, ["verify"]);
      } catch (e) { ed25519 = false; }
    }
    if (!ed25519) problem("ed25519", TEXTS.no_ed25519);
  }

  // The same order as events/door.py's DoorVerifier.
  async function decideOffline(code, dir, nowMs) {
    var refuse = function (reason, pid) { return { ok: false, reason: reason, person_id: pid || null }; };
    if (!list || !ed25519) return refuse("stale");
    code = code.trim();
    if (code.indexOf("CC1.") !== 0 || code.length > 200) return refuse("malformed");
    var raw;
    try { raw = b64urlDecode(code.slice(4)); } catch (e) { return refuse("malformed"); }
    if (raw.length !== 82) return refuse("malformed");
    var payload = raw.slice(0, 18), signature = raw.slice(18);
    var key = keys[hex(payload.slice(1, 5))];
    if (!key) return refuse("unknown_key");
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, payload))) return refuse("bad_signature");
    var view = new DataView(payload.buffer, payload.byteOffset, 18);
    var pid = Number(view.getBigUint64(5)), issued = view.getUint32(14), now = nowMs / 1000;
    if (view.getUint8(0) !== 1 || view.getUint8(13) > 2) return refuse("malformed");
    if (issued > now + 30 || now - issued > list.code_lifetime_seconds) return refuse("expired", pid);
    if (now - list.generated_ts > list.max_age_seconds) return refuse("stale", pid);
    var open = list.windows.some(function (w) { return w[0] <= now && now <= w[1]; });
    if (!open) return refuse("not_open", pid);
    var row = list.people[String(pid)];
    if (!row) return refuse("not_on_list", pid);
    if (dir === "out" && !done[pid + ":in"]) return Object.assign(refuse("not_signed_in", pid), { label: row[0] });
    if (done[pid + ":" + dir]) return { ok: true, reason: "already", person_id: pid, label: row[0] };
    done[pid + ":" + dir] = true;
    return { ok: true, reason: "ok", person_id: pid, label: row[0] };
  }

  // --- the server ---------------------------------------------------------------------------
  function call(url, body, timeout) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeout || ONLINE_TIMEOUT_MS);
    var init = { method: body ? "POST" : "GET", signal: controller.signal, cache: "no-store", credentials: "same-origin",
                 redirect: "manual", headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf } };
    if (body) init.body = JSON.stringify(body);
    return fetch(url, init).then(function (response) {
      clearTimeout(timer);
      // Signed out (a redirect to the sign-in page) or refused: decide here, keep the scans.
      if (response.type === "opaqueredirect" || response.status === 403 || response.status === 401) {
        problem("account", TEXTS.signed_out_account);
        throw { network: true };
      }
      problem("account", "");
      if (!response.ok) throw { network: response.status >= 500, status: response.status };
      return response.json();
    }, function () { clearTimeout(timer); throw { network: true }; });
  }

  function setOnline(value) {
    online = value;
    $("net").dataset.online = value ? "true" : "false";
    $("net").textContent = value ? TEXTS.online : TEXTS.net_offline;
    $("offline-limits").hidden = value;
    showQueue();
  }

  // The loud banner: whenever offline or any scan waits to go up.
  function showQueue() {
    $("queued").textContent = queue.length;
    root.dataset.pending = String(queue.length);
    var banner = $("offline-banner");
    banner.hidden = online && !queue.length;
    $("banner-text").textContent = online ? "" : TEXTS.net_offline + " · ";
    $("banner-count").textContent = queue.length;
    $("banner-pending").textContent = TEXTS.pending;
  }

  function showSynced() {
    $("synced").textContent = list ? new Date(list.generated_ts * 1000).toLocaleTimeString("zh-CN", { hour12: false, timeZone: SCHOOL_TZ }) : "—";
    if (!list) problem("list", TEXTS.no_list); else problem("list", "");
  }

  var syncing = false;
  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      while (queue.length) {
        var batch = queue.slice(0, UPLOAD_BATCH);
        await call(root.dataset.upload, { events: batch }, 20000);
        var sent = {};
        batch.forEach(function (e) { sent[e.nonce] = true; });
        queue = queue.filter(function (e) { return !sent[e.nonce]; });
        save("queue", queue);
        showQueue();
      }
      var data = await call(root.dataset.list, null, 20000);
      save("list", data);
      await useList(data);
      setOnline(true);
      root.dataset.synced = "true";
    } catch (e) {
      if (e && e.network) setOnline(false);
    } finally {
      syncing = false;
      showSynced();
      showQueue();
    }
  }

  // --- answers ------------------------------------------------------------------------------
  var clearTimer = null;
  function show(result, offline) {
    var cls = result.ok ? (result.reason === "already" ? "notice" : "allow") : "refuse";
    $("answer").className = "gate-answer " + cls;
    root.dataset.state = cls;
    root.dataset.reason = result.reason;
    root.dataset.source = offline ? "offline" : "online";
    var big = !result.ok ? TEXTS.refused : result.reason === "already" ? TEXTS.already
      : (result.direction || direction) === "out" ? TEXTS.signed_out : TEXTS.signed_in;
    $("answer-big").textContent = big;
    var reason = result.ok ? "" : (REASONS[result.reason] || result.reason);
    $("answer-reason").textContent = [reason, offline ? TEXTS.offline : ""].filter(Boolean).join(" · ");
    $("answer-who").textContent = result.display || result.label || "";
    $("answer-when").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false, timeZone: SCHOOL_TZ });
    clearTimeout(clearTimer);
    clearTimer = setTimeout(function () { $("answer").className = "gate-answer idle"; root.dataset.state = "idle"; }, 5000);
  }

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return hex(crypto.getRandomValues(new Uint8Array(16)));
  }

  async function handleScan(code) {
    code = code.trim();
    if (!code) return;
    var id = nonce(), at = new Date();
    if (online) {
      try {
        var answer = await call(root.dataset.scan, { token: code, direction: direction, nonce: id });
        if (answer.ok && answer.person_id) done[answer.person_id + ":" + direction] = true;
        show(answer, false);
        return;
      } catch (e) {
        if (!e.network) { show({ ok: false, reason: "malformed" }, false); return; }
        setOnline(false);
      }
    }
    var result = await decideOffline(code, direction, at.getTime());
    show(result, true);
    queue.push({ nonce: id, token: code.length <= 400 ? code : "", person_id: result.person_id,
                 direction: direction, at: at.toISOString(), ok: result.ok, reason: result.reason });
    save("queue", queue);
    showQueue();
  }

  // --- keyboard -------------------------------------------------------------------------------
  function setDirection(value) {
    var buttons = document.querySelectorAll(".dir-btn");
    var allowed = Array.prototype.map.call(buttons, function (b) { return b.dataset.direction; });
    if (allowed.indexOf(value) < 0) value = allowed[0];
    direction = value;
    root.dataset.direction = value;
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.direction === value ? "true" : "false"); });
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
  });

  window.addEventListener("online", function () { setOnline(true); sync(); });
  window.addEventListener("offline", function () { setOnline(false); });
  setDirection(direction);
  if (!ed25519) problem("ed25519", TEXTS.no_ed25519);
  useList(list).then(function () {
    setOnline(online);
    showSynced();
    sync().then(function () { root.dataset.ready = "true"; });
    setInterval(sync, SYNC_EVERY_MS);
  });
})();
