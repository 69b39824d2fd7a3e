// The collection desk: a keyboard-wedge scanner types a code and presses Enter. Enter in a
// field with data-next moves to that field instead of sending the form; Enter in the tube
// field sends it. No inline script (the pages' Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-next]").forEach(function (field) {
    field.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      var next = document.getElementById(field.dataset.next);
      if (!next) return;
      event.preventDefault();
      next.focus();
      next.select();
    });
  });
});
