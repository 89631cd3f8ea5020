// The check-in form: contact details only when a contact is reported, "None" and
// symptoms exclusive, and one submission per tap (the server dedupes retries anyway).
(function () {
  // What the phone's screen and settings say of it, for the shared-phone check (the
  // server hashes it with the user agent; nothing here identifies a person).
  var nav = navigator, scr = window.screen || {};
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  var print = [
    (scr.width || 0) + "x" + (scr.height || 0),
    (scr.availWidth || 0) + "x" + (scr.availHeight || 0),
    window.devicePixelRatio || 1,
    scr.colorDepth || "",
    zone,
    (nav.languages || [nav.language || ""]).join(","),
    nav.hardwareConcurrency || "",
    nav.deviceMemory || "",
    nav.maxTouchPoints || 0,
    nav.platform || ""
  ].join("|");
  document.querySelectorAll("input[data-fp]").forEach(function (field) { field.value = print; });
  document.querySelectorAll(".checkin-form form").forEach(function (one) {
    one.addEventListener("submit", function () {
      var button = one.querySelector("button[type=submit]");
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
  var submit = document.querySelector(".checkin-form [data-submit]");
  if (!submit) return;
  var form = submit.form;
  var details = form.querySelector(".contact-details");
  function syncContact() {
    var chosen = form.querySelector("input[name=contact]:checked");
    details.hidden = !chosen || chosen.value === "none";
  }
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "symptoms" && box.checked) {
      form.querySelectorAll("input[name=symptoms]").forEach(function (other) {
        if ((box.value === "none") !== (other.value === "none")) other.checked = false;
      });
    }
    if (box.name === "contact") syncContact();
  });
  syncContact();
})();
