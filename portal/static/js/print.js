// A button [data-print] prints the page. Hidden until this script shows it, so a page without
// JavaScript offers only the browser's own print menu, which the page's text points to.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
