// A button [data-copy="text"] copies its text to the clipboard and says so. Hidden until this
// script shows it: without JavaScript, or without a clipboard (a plain-HTTP intranet page), the
// link beside it still opens the address and a long press copies it.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  var buttons = document.querySelectorAll("[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var idle = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = "已复制";
      }, function () {
        button.textContent = "复制失败，请长按链接复制";
      });
      window.setTimeout(function () { button.textContent = idle; }, 3000);
    });
  });
}());
