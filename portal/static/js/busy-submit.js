// A form inside [data-busy-label] shows that label on its submit button while the server works
// (the roster check of a large file takes a few seconds). Only a convenience: without it the
// form posts the same way.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-busy-label]");
  Array.prototype.forEach.call(boxes, function (box) {
    var form = box.querySelector("form");
    var button = form && form.querySelector("button[type=submit]");
    if (!button) { return; }
    var idle = button.textContent;
    var status = document.createElement("div");
    status.className = "small text-muted mt-2";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    button.parentNode.appendChild(status);

    form.addEventListener("submit", function () {
      // Disabled at once, so a second tap cannot send the file again; this submission goes on
      // (the button has no name, so the form's data loses nothing).
      button.disabled = true;
      button.textContent = "";
      var spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm me-1";
      spinner.setAttribute("aria-hidden", "true");
      button.appendChild(spinner);
      button.appendChild(document.createTextNode("正在检查…"));
      status.textContent = box.getAttribute("data-busy-label");
    });
    // Back from the report page (the browser's page cache): the button is usable again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = idle;
      status.textContent = "";
    });
  });
})();
