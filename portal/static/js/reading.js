// 每日一学: a countdown beside "我已读完". Only a convenience: the server checks the time itself.
(function () {
  "use strict";
  var box = document.querySelector("[data-reading-seconds]");
  if (!box) { return; }
  var button = box.querySelector("button[type=submit]");
  var label = box.querySelector("[data-countdown]");
  var left = parseInt(box.getAttribute("data-reading-seconds"), 10) || 0;
  var ends = Date.now() + left * 1000;

  function tick() {
    left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
    if (left > 0) {
      button.disabled = true;
      label.textContent = "还需阅读 " + left + " 秒";
      window.setTimeout(tick, 500);
    } else {
      button.disabled = false;
      label.textContent = "阅读时间已到，可以确认";
    }
  }
  tick();
})();
