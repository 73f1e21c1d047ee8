// Question form: show only the answer fields of the chosen kind (all stay visible without JS).
(function () {
  "use strict";
  var form = document.querySelector(".question-form");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  var sections = form.querySelectorAll(".kind-section");
  function update() {
    sections.forEach(function (section) {
      var kinds = (section.getAttribute("data-kinds") || "").split(" ");
      section.hidden = kinds.indexOf(kind.value) === -1;
    });
  }
  kind.addEventListener("change", update);
  update();
})();
