// The attendance scanner: a keyboard-wedge scanner or the camera reads a campus code; it is
// checked online, or kept in localStorage while offline and uploaded when the network is
// back (the server re-checks every code at its scan time). No inline script (CSP).
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var form = root.querySelector("[data-scan-form]");
  var input = root.querySelector("[data-scan-input]");
  var answer = root.querySelector("[data-answer]");
  var banner = root.querySelector("[data-offline]");
  var pendingEl = root.querySelector("[data-pending]");
  var counted = root.querySelector("[data-counted]");
  var door = root.querySelector("[data-door]");
  var key = "attendance-queue-" + root.dataset.session + "-" + root.dataset.direction;
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { /* none */ }

  function queue() { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function save(items) { localStorage.setItem(key, JSON.stringify(items)); show(); }
  function show() {
    var n = queue().length;
    pendingEl.textContent = String(n);
    banner.hidden = n === 0;
  }
  function say(text, ok) {
    answer.textContent = text;
    answer.className = "att-answer " + (ok ? "ok" : "refused");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }
  function common() {
    return { direction: root.dataset.direction, point: root.dataset.point, door: door && door.checked, device: navigator.userAgent.slice(0, 90) };
  }
  function nonce() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  function scan(token) {
    token = token.trim();
    if (!token) return;
    var body = common();
    body.token = token;
    post(root.dataset.scanUrl, body).then(function (data) {
      say((data.name ? data.name + " · " : "") + data.message, data.ok);
      if (data.counted !== undefined) counted.textContent = data.counted;
    }).catch(function () {
      var items = queue();
      items.push({ token: token, at: new Date().toISOString(), nonce: nonce() });
      save(items);
      say(root.dataset.msgQueued, true);
    });
  }
  function upload() {
    var items = queue();
    if (!items.length) return;
    var body = common();
    body.items = items;
    post(root.dataset.uploadUrl, body).then(function (data) {
      var sent = {};
      items.forEach(function (i) { sent[i.nonce] = true; });
      save(queue().filter(function (i) { return !sent[i.nonce]; }));
      counted.textContent = data.counted;
      say(root.dataset.msgUploaded + ": " + data.stored, true);
    }).catch(function () { /* still offline: try again later */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    scan(input.value);
    input.value = "";
    input.focus();
  });
  window.addEventListener("online", upload);
  setInterval(upload, 10000);
  show();
  upload();

  // The camera, where the browser can read QR codes itself (BarcodeDetector).
  var camera = root.querySelector("[data-camera]");
  var video = root.querySelector("[data-video]");
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    camera.hidden = false;
    camera.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var last = "";
        (function tick() {
          detector.detect(video).then(function (codes) {
            if (codes.length && codes[0].rawValue !== last) {
              last = codes[0].rawValue;
              scan(last);
            }
          }).catch(function () {}).finally(function () { setTimeout(tick, 300); });
        })();
      });
    });
  }
})();
