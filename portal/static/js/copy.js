// A button [data-copy="text"] copies its text and says so. Hidden until this script shows it.
// The clipboard API needs a secure page; on a plain-HTTP intranet page the text is copied
// through a selected, off-screen text box instead. Where neither works, the button says to
// long-press the address, which the page always shows beside it.
(function () {
  "use strict";

  function copyBySelection(text) {
    var box = document.createElement("textarea");
    box.value = text;
    box.setAttribute("readonly", "");
    box.style.position = "fixed";
    box.style.top = "-1000px";
    document.body.appendChild(box);
    box.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    document.body.removeChild(box);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyBySelection(text); });
    }
    return copyBySelection(text);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var idle = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.getAttribute("data-copy")).then(function () {
        button.textContent = "已复制";
      }, function () {
        button.textContent = "复制失败，请长按地址复制";
      });
      window.setTimeout(function () { button.textContent = idle; }, 3000);
    });
  });
}());
