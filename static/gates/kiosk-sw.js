/* Service worker of the gate page: the page and its own static files come from the
 * cache when the network is down, so a gate restarted offline still opens. The device
 * API is never cached: answers must be live or decided by the page from its snapshot. */
var CACHE = "cc-gate-v1";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll([self.registration.scope]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.mode === "navigate") {
    // Network first, so a new version of the page arrives; the cached copy when offline.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {  // an error page must not replace the copy kept for offline starts
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || caches.match(self.registration.scope); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // The cached copy at once, refreshed behind it: a new kiosk.js reaches a gate on its
    // next start even where file names carry no content hash (DEBUG, tests).
    var fresh = fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); })
          .then(function () { return response; }, function () { return response; });
      }
      return response;
    });
    event.waitUntil(fresh.catch(function () { /* offline: the cached copy stands */ }));
    event.respondWith(caches.match(request).then(function (hit) { return hit || fresh; }));
  }
});
