// Presence evidence at points that take the phone's location: ask the browser once,
// put the raw numbers (latitude, longitude, accuracy in metres) into the form's hidden
// fields, or the reason there are none. The server computes the distance itself; this
// page never decides whether the phone is near enough.
(function () {
  var status = document.querySelector("[data-geo-status]");
  var forms = Array.prototype.slice.call(document.querySelectorAll(".checkin-form form"))
    .filter(function (form) { return form.querySelector("[data-geo]"); });
  if (!forms.length) return;
  var settled = false;
  var waiting = [];
  function fill(name, value) {
    forms.forEach(function (form) {
      var input = form.querySelector('[data-geo="' + name + '"]');
      if (input) input.value = value;
    });
  }
  function say(which) {
    if (status && status.dataset[which]) status.textContent = status.dataset[which];
  }
  function done() {
    settled = true;
    waiting.splice(0).forEach(function (form) { form.submit(); });
  }
  if (!navigator.geolocation) {
    fill("error", "unsupported");
    say("failed");
    done();
    return;
  }
  say("asking");
  navigator.geolocation.getCurrentPosition(
    function (position) {
      fill("lat", position.coords.latitude);
      fill("lon", position.coords.longitude);
      fill("accuracy", position.coords.accuracy);
      fill("error", "");
      say("found");
      done();
    },
    function (error) {
      var codes = { 1: "denied", 2: "unavailable", 3: "timeout" };
      fill("error", codes[error.code] || "unavailable");
      say("failed");
      done();
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
  );
  // A tap on "submit" before the phone answers waits for the answer (15 s at most).
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (settled) return;
      event.preventDefault();
      if (waiting.indexOf(form) < 0) waiting.push(form);
    });
  });
})();
