/* Campus Code gate page: a keyboard-wedge scanner types a code and Enter; the page asks
 * the device API and, when the network is down, decides from the gate's snapshot with
 * WebCrypto Ed25519 and the same rules as campuscode/gates/decide.py (same order).
 * The snapshot lists only the people this gate's place admits (selectors.build_snapshot):
 * for them the answer is the server's, anyone else is refused as "not_on_list". It and
 * the events decided offline are kept in IndexedDB (a large school's list is megabytes,
 * beyond what localStorage holds or writes without blocking the page); queued events
 * go up once each, by nonce, with the code read, which the server verifies again. */
(function () {
  "use strict";
  var root = document.getElementById("gate");
  if (!root) return;
  var API = root.dataset.api;
  var REASONS = JSON.parse(document.getElementById("gate-reasons").textContent);
  var TEXTS = JSON.parse(document.getElementById("gate-texts").textContent);
  // Times show in the school's time zone, whatever the device's clock is set to.
  var SCHOOL_TZ = JSON.parse(document.getElementById("gate-tz").textContent);
  // Small settings stay in localStorage (read synchronously at start); the token must
  // survive a restart without network, so it is kept on the device, not in the URL.
  var KEY = { token: "cc.gate.token", direction: "cc.gate.direction" };
  // Where pages before the IndexedDB store kept their data: moved once, then removed.
  var OLD = { snapshot: "cc.gate.snapshot", synced: "cc.gate.synced", queue: "cc.gate.queue" };
  var DB_NAME = "cc-gate", DB_VERSION = 1;
  // The snapshot format this page reads; an older one (the whole school with health
  // colours) is dropped from the device, not kept until the next sync replaces it.
  var SNAPSHOT_VERSION = 2;
  var ONLINE_TIMEOUT_MS = 2500;
  var SYNC_EVERY_MS = 60000;
  var UPLOAD_BATCH = 500;
  var $ = function (id) { return document.getElementById(id); };

  // --- the device token: given once in the URL fragment, then kept on the device ------
  // The fragment never reaches a server or its logs; it is taken out of the address bar
  // at once (replaceState keeps no history entry with it) so no screen or screenshot shows it.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var token = fragment.get("token") || localGet(KEY.token);
  if (fragment.has("token")) {
    if (token) localSet(KEY.token, token);
    history.replaceState(history.state, "", location.pathname + location.search);
  }
  var direction = localGet(KEY.direction) || "in";
  var snapshot = null, syncedAt = 0, publicKeys = {}, used = {}, inside = {}, ed25519 = true, online = navigator.onLine;
  var pending = [];  // events decided offline, not yet uploaded (mirrored in IndexedDB)

  // Several problems can hold at once (no token, no Ed25519, storage): each has a slot.
  var problems = {};
  function problem(name, text) {
    if (text) problems[name] = text; else delete problems[name];
    var box = $("problem"), lines = [];
    Object.keys(problems).forEach(function (k) { if (lines.indexOf(problems[k]) < 0) lines.push(problems[k]); });
    box.hidden = !lines.length;
    box.textContent = lines.join("\n");
  }

  function localGet(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function localSet(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* kept for this session only */ }
  }
  function readJSON(key, fallback) {
    try { var v = localStorage.getItem(key); return v ? JSON.parse(v) : fallback; }
    catch (e) { return fallback; }
  }

  // --- IndexedDB: the snapshot and the offline queue ----------------------------------------
  // "state" holds one record, "snapshot" = {data, synced_at}; "queue" one record per event,
  // keyed by its nonce, so adding or removing an event never rewrites the others.
  var db = null;

  function openDatabase() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new DOMException("no IndexedDB", "NotSupportedError"));
      var request;
      try { request = indexedDB.open(DB_NAME, DB_VERSION); } catch (e) { return reject(e); }
      request.onupgradeneeded = function () {
        request.result.createObjectStore("state");
        request.result.createObjectStore("queue", { keyPath: "nonce" });
      };
      request.onsuccess = function () {
        var opened = request.result;
        // Closed under us (site data cleared, disk trouble): fall back to memory.
        opened.onclose = function () { db = null; storageFailed("database", new DOMException("closed", "UnknownError")); };
        opened.onversionchange = function () { opened.close(); db = null; };
        resolve(opened);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Resolves when the transaction has committed (the data is stored), not merely when its
  // requests succeeded; a full disk shows up here as an abort with QuotaExceededError.
  function transact(stores, mode, work) {
    return new Promise(function (resolve, reject) {
      if (!db) return reject(new DOMException("no database", "InvalidStateError"));
      var out = {}, tx;
      try {
        tx = db.transaction(stores, mode);
        work(tx, out);
      } catch (e) {
        if (tx) try { tx.abort(); } catch (ignored) { /* already finished */ }
        return reject(e);
      }
      tx.oncomplete = function () { resolve(out.value); };
      tx.onabort = function () { reject(tx.error || new DOMException("aborted", "AbortError")); };
    });
  }

  // One slot per kind of write, so a queued scan saved fine does not hide that the
  // snapshot could not be.
  function storageFailed(slot, error) {
    var full = error && error.name === "QuotaExceededError";
    problem("storage-" + slot, full ? TEXTS.storage_full : TEXTS.storage_unavailable);
  }
  // A failed write never stops the gate: the data stays in memory for this session.
  function persist(slot, promise) {
    return promise.then(function () { problem("storage-" + slot, ""); },
                        function (error) { storageFailed(slot, error); });
  }

  function saveSnapshot(data, at) {
    return persist("snapshot", transact(["state"], "readwrite", function (tx) {
      tx.objectStore("state").put({ data: data, synced_at: at }, "snapshot");
    }));
  }

  function readSaved() {
    return transact(["state", "queue"], "readonly", function (tx, out) {
      out.value = {};
      tx.objectStore("state").get("snapshot").onsuccess = function (e) { out.value.snapshot = e.target.result || null; };
      tx.objectStore("queue").getAll().onsuccess = function (e) { out.value.queue = e.target.result; };
    });
  }

  // Pages before this one kept the snapshot and the queue in localStorage. They are moved
  // once; the old keys are removed only after IndexedDB has committed the copy.
  function migrateFromLocalStorage() {
    var oldSnapshot = readJSON(OLD.snapshot, null), oldQueue = readJSON(OLD.queue, []);
    var oldSynced = +localGet(OLD.synced) || 0;
    if (!Array.isArray(oldQueue)) oldQueue = [];
    if (!oldSnapshot && !oldQueue.length) return Promise.resolve(forgetOld());
    return transact(["state", "queue"], "readwrite", function (tx) {
      var state = tx.objectStore("state"), queued = tx.objectStore("queue");
      if (oldSnapshot && oldSnapshot.people && oldSnapshot.version === SNAPSHOT_VERSION) {
        state.get("snapshot").onsuccess = function (e) {
          var have = e.target.result;
          if (!have || have.data.generated_ts < oldSnapshot.generated_ts)
            state.put({ data: oldSnapshot, synced_at: oldSynced }, "snapshot");
        };
      }
      oldQueue.forEach(function (item) { if (item && typeof item.nonce === "string") queued.put(item); });
    }).then(forgetOld);
  }
  function forgetOld() {
    try { Object.keys(OLD).forEach(function (k) { localStorage.removeItem(OLD[k]); }); } catch (e) { /* none */ }
  }

  function showQueued() { $("queued").textContent = pending.length; }

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
    publicKeys = {};
    if (data && data.version !== SNAPSHOT_VERSION) {
      data = null;
      syncedAt = 0;
      if (db) persist("snapshot", transact(["state"], "readwrite", function (tx) { tx.objectStore("state").delete("snapshot"); }));
      try { localStorage.removeItem(OLD.snapshot); } catch (e) { /* none */ }
    }
    snapshot = data;
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
    if (!ed25519 || !crypto.subtle) problem("ed25519", TEXTS.no_ed25519);
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

  // Who may enter at all is the list itself; a listed person's dates, the hours, the
  // colour policy and the curfew, in decide.py's order (offline.py does the same).
  function evaluate(rules, p, dir, local) {
    if ((p.valid_from && local.date < p.valid_from) || (p.valid_until && local.date > p.valid_until))
      return { allowed: false, reason: "visitor_invalid" };
    var entering = dir === "in";
    if (entering && rules.opens_at && rules.closes_at &&
        !inWindow(local.minutes, minutes(rules.opens_at), minutes(rules.closes_at)))
      return { allowed: false, reason: "outside_hours" };
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
    // A row: [the colour to treat the person as at least, valid from, valid until, masked name].
    var row = snapshot.people[String(personId)];
    var common = { person_id: personId, label: row ? row[3] : "", colour: worse(colours[colourCode], row ? row[0] : "") };
    var stale = isStale(nowSec);
    if (stale && !snapshot.degraded_allowed) return refuse("stale", common);
    if (!row) return refuse("not_on_list", common);
    var facts = { colour: common.colour, valid_from: row[1], valid_until: row[2] };
    var decision = evaluate(snapshot.rules, facts, dir, localParts(nowMs, snapshot.time_zone));
    var fp = await sha256hex16(code);
    if (decision.allowed) {
      // Anti-passback as far as this gate alone knows (offline.py does the same): someone
      // it let in and has not seen leave. Other gates' scans and the travel check are the
      // server's, applied when the queue is uploaded.
      var passback = snapshot.passback_seconds || 0, entered = inside[personId];
      if (used[fp + dir]) decision = { allowed: false, reason: "duplicate", notice: "" };
      else if (dir === "in" && entered !== undefined && nowSec - entered < passback)
        decision = { allowed: false, reason: "passback", notice: "" };
      else {
        used[fp + dir] = true;
        if (passback && dir === "in") inside[personId] = nowSec; else delete inside[personId];
        if (stale) decision.notice = "degraded";
      }
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
      if (response.status === 401) { problem("token", TEXTS.token_refused); throw { auth: true }; }
      problem("token", "");
      if (!response.ok) throw { status: response.status };
      return response.json();
    }, function (error) { clearTimeout(timer); setOnline(false); throw { network: true, error: error }; });
  }

  function setOnline(value) {
    online = value;
    var net = $("net");
    net.dataset.online = value ? "true" : "false";
    net.textContent = value ? TEXTS.online : TEXTS.net_offline;
    // The honest list of what this gate cannot check while offline.
    $("offline-limits").hidden = value;
  }

  function showSynced() {
    $("synced").textContent = syncedAt ? new Date(syncedAt).toLocaleString("zh-CN", { hour12: false, timeZone: SCHOOL_TZ }) + " (" +
      Math.floor((Date.now() - syncedAt) / 60000) + " " + TEXTS.minutes_ago + ")" : TEXTS.never;
    $("stale").hidden = !isStale(Date.now() / 1000);
    showQueued();
  }

  async function uploadQueue() {
    while (pending.length) {
      var batch = pending.slice(0, UPLOAD_BATCH);
      await api("events", { method: "POST", body: { events: batch }, timeout: 15000 });
      // Only what was sent is removed; scans queued meanwhile stay for the next batch.
      // Should the delete fail, the events go again later: the server keeps one per nonce.
      var sent = {};
      batch.forEach(function (e) { sent[e.nonce] = true; });
      pending = pending.filter(function (e) { return !sent[e.nonce]; });
      showQueued();
      await persist("queue", transact(["queue"], "readwrite", function (tx) {
        var queued = tx.objectStore("queue");
        batch.forEach(function (e) { queued.delete(e.nonce); });
      }));
    }
  }

  var syncing = false;
  async function sync() {
    if (!token || syncing) return;
    syncing = true;
    try {
      await uploadQueue();
      var data = await api("snapshot", { timeout: 15000 });
      syncedAt = Date.now();
      await loadSnapshot(data);
      setOnline(true);
      await saveSnapshot(data, syncedAt);
      await api("heartbeat", { method: "POST", body: { tampered: false, queue_length: pending.length,
        snapshot_age_seconds: 0, software: "gate-page/2" } });
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
    $("answer-reason").textContent = [reason, offline ? TEXTS.offline : ""].filter(Boolean).join(" · ");
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
    // The code read goes up with the event: the server verifies it again before an
    // allowed passage counts.
    var item = { nonce: id, token: code.length <= 400 ? code : "", person_id: result.person_id || null,
                 direction: direction, at: at.toISOString(),
                 allowed: result.allowed, reason: result.reason, notice: result.notice || "", colour: result.colour || "" };
    pending.push(item);
    showQueued();
    await persist("queue", transact(["queue"], "readwrite", function (tx) { tx.objectStore("queue").put(item); }));
  }

  // --- keyboard only -------------------------------------------------------------------
  function setDirection(value) {
    direction = value;
    localSet(KEY.direction, value);
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
  // What this device kept: IndexedDB first (after moving what an older page left in
  // localStorage); without IndexedDB, whatever the older page left, in memory only.
  async function restore() {
    try {
      db = await openDatabase();
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    } catch (e) { storageFailed("database", e); }
    var saved = null;
    if (db) {
      try { await migrateFromLocalStorage(); } catch (e) { storageFailed("database", e); }
      try { saved = await readSaved(); } catch (e) { storageFailed("database", e); }
    }
    var oldSnapshot = readJSON(OLD.snapshot, null), oldQueue = readJSON(OLD.queue, []);
    if (saved && saved.snapshot) {
      syncedAt = saved.snapshot.synced_at || 0;
      await loadSnapshot(saved.snapshot.data);
    } else if (oldSnapshot) {
      syncedAt = +localGet(OLD.synced) || 0;
      await loadSnapshot(oldSnapshot);
    }
    // Scans made while this ran, the saved queue, and an older page's queue that was not
    // moved (no IndexedDB, or the move failed): the last is uploaded from memory all the
    // same; should a later move send it again, the server keeps each nonce once.
    var seen = {}, merged = [];
    [pending, (saved && saved.queue) || [], Array.isArray(oldQueue) ? oldQueue : []].forEach(function (items) {
      items.forEach(function (e) { if (e && e.nonce && !seen[e.nonce]) { seen[e.nonce] = true; merged.push(e); } });
    });
    pending = merged.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
  }

  setDirection(direction);
  if (!window.crypto || !crypto.subtle) { ed25519 = false; problem("ed25519", TEXTS.no_ed25519); }
  if (!token) { problem("token", TEXTS.no_token); return; }
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
  restore().then(function () {
    showSynced();
    sync();
    setInterval(sync, SYNC_EVERY_MS);
    setInterval(showSynced, 15000);
    root.dataset.ready = "true";
  });
})();
