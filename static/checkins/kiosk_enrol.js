// A point screen's enrolment link carries its one-time credential in the #fragment
// (never sent to a server or kept in its logs): take it out of the address bar at once
// and present it; the server answers with an HttpOnly cookie for the kiosk page.
(function () {
  var form = document.getElementById("kiosk-enrol");
  if (!form) return;
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  history.replaceState(null, "", window.location.pathname);
  if (document.querySelector(".kiosk-enrol-error")) return;  // refused once: no loop
  document.getElementById("kiosk-token").value = decodeURIComponent(match[1]);
  form.submit();
})();
