// A check-in point's screen: fetch a fresh code at each step, keep the clock running,
// and keep retrying through a network outage (the screen recovers by itself).
(function () {
  var root = document.getElementById("kiosk");
  if (!root) return;
  var url = root.dataset.panelUrl;
  var offset = 0;  // server clock minus this screen's clock
  var failures = 0;
  function tick() {
    var now = new Date(Date.now() + offset);
    var clock = document.getElementById("kiosk-clock");
    if (clock) clock.textContent = now.toLocaleTimeString("zh-CN", {hour12: false, timeZone: root.dataset.tz});
  }
  function apply(html) {
    var box = document.getElementById("kiosk-panel");
    box.outerHTML = html;
    box = document.getElementById("kiosk-panel");
    offset = parseInt(box.dataset.serverMs, 10) - Date.now();
    return parseInt(box.dataset.nextMs, 10);
  }
  function refresh() {
    fetch(url, {cache: "no-store", credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 403) {
          // Revoked or replaced: show no code at all, and stop asking.
          root.classList.add("revoked");
          var box = document.getElementById("kiosk-panel");
          if (box) box.remove();
          throw "revoked";
        }
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        root.classList.remove("offline");
        var next = apply(html);
        setTimeout(refresh, Math.min(Math.max(next + 150, 500), 10000));
      })
      .catch(function (error) {
        if (error === "revoked") return;
        failures += 1;
        root.classList.add("offline");
        setTimeout(refresh, Math.min(2000 * failures, 10000));
      });
  }
  var first = document.getElementById("kiosk-panel");
  offset = parseInt(first.dataset.serverMs, 10) - Date.now();
  setInterval(tick, 1000);
  tick();
  setTimeout(refresh, Math.min(Math.max(parseInt(first.dataset.nextMs, 10) + 150, 500), 10000));
})();
