// Print buttons: <button data-print>. No inline onclick, which the Content-Security-Policy forbids.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
