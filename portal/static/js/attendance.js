// The attendance sheet: the bar at the bottom counts the choices as they are made, and choosing
// 请假 for someone without a reason puts the cursor in their reason box. Only a convenience:
// without it the sheet is saved the same way, and the server checks every line.
(function () {
  "use strict";
  var form = document.querySelector("[data-attendance-form]");
  if (!form) { return; }
  var outputs = form.querySelectorAll("[data-count]");

  function count() {
    var counts = { present: 0, leave: 0, absent: 0, none: 0 };
    form.querySelectorAll("[data-line]").forEach(function (line) {
      var chosen = line.querySelector("input[type=radio]:checked");
      counts[chosen ? chosen.value : "none"] += 1;
    });
    outputs.forEach(function (output) {
      output.textContent = counts[output.getAttribute("data-count")];
    });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "radio" && input.value === "leave" && input.checked) {
      var note = input.closest("[data-line]").querySelector(".att-note");
      if (note && !note.value) { note.focus(); }
    }
    count();
  });
  count();
})();
