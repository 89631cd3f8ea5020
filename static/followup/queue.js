// "Select all" on the approval queue; works after an htmx swap too (event delegation).
document.addEventListener("change", function (event) {
  if (!event.target.matches("[data-check-all]")) return;
  var form = event.target.closest("form");
  form.querySelectorAll("input[name=items]").forEach(function (box) {
    box.checked = event.target.checked;
  });
});
