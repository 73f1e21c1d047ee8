// 每周一测: save each answer as soon as it changes, and show the time left.
// Only a convenience: the page works without it (保存 / 交卷 post the whole form), and the
// server owns the clock — it refuses a late answer whatever this countdown says.
(function () {
  "use strict";
  var form = document.querySelector("[data-quiz-form]");
  if (!form) { return; }
  var answerUrl = form.getAttribute("data-answer-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.querySelector("[data-save-status]");
  var clock = document.querySelector("[data-remaining]");
  var endsAt = Date.now() + (parseInt(clock.getAttribute("data-remaining"), 10) || 0) * 1000;
  var pending = {};  // position -> true while a change is not yet stored on the server
  var timers = {};
  var closed = false;

  function say(text, bad) {
    status.textContent = text;
    status.className = "small mb-3 " + (bad ? "text-danger" : "text-success");
  }

  function body(fieldset) {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("position", fieldset.getAttribute("data-position"));
    fieldset.querySelectorAll("input").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      data.append(input.name, input.value);
    });
    return data;
  }

  function save(fieldset) {
    var position = fieldset.getAttribute("data-position");
    pending[position] = true;
    fetch(answerUrl, {
      method: "POST", body: body(fieldset), credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A log-in page or an expired-page error instead of JSON: the session or the token ran out.
        return { ok: false, reply: { message: "登录已过期或页面已过期，请刷新页面（已保存的答案不会丢失）" } };
      }
      return response.json().then(function (reply) { return { ok: response.ok, reply: reply }; });
    }).then(function (result) {
      if (result.ok && result.reply.saved) {
        delete pending[position];
        endsAt = Date.now() + result.reply.remaining * 1000;
        say("第 " + position + " 题已自动保存 " + new Date().toLocaleTimeString("zh-CN"));
      } else {
        delete pending[position];
        say(result.reply.message || "保存失败", true);
        if (result.reply.closed) { closed = true; window.setTimeout(function () { window.location.reload(); }, 1500); }
      }
    }).catch(function () {
      say("网络中断，第 " + position + " 题尚未保存；恢复网络后会自动重试，也可点“保存”", true);
    });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-position]");
    if (fieldset && !closed) { save(fieldset); }
  });
  form.addEventListener("input", function (event) {
    // Typing in a blank: save after a short pause rather than on every key.
    var fieldset = event.target.closest("fieldset[data-position]");
    if (!fieldset || event.target.type !== "text") { return; }
    var position = fieldset.getAttribute("data-position");
    window.clearTimeout(timers[position]);
    timers[position] = window.setTimeout(function () { save(fieldset); }, 800);
  });

  function retry() {
    Object.keys(pending).forEach(function (position) {
      var fieldset = form.querySelector("fieldset[data-position='" + position + "']");
      if (fieldset) { save(fieldset); }
    });
  }
  window.addEventListener("online", retry);
  window.setInterval(function () { if (navigator.onLine !== false && !closed) { retry(); } }, 10000);

  var submit = form.querySelector("[data-confirm]");
  if (submit) {
    submit.addEventListener("click", function (event) {
      if (!window.confirm(submit.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  }

  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    clock.textContent = "剩余 " + Math.floor(left / 60) + " 分 " + (left % 60) + " 秒";
    if (left === 0) {
      // Time is up: hand the paper in. The server keeps only what arrived before its deadline
      // and closes the attempt with the answers saved so far, then shows the result.
      if (!closed && submit) {
        closed = true;
        form.setAttribute("action", submit.getAttribute("formaction"));
        window.setTimeout(function () { form.submit(); }, 1000);
      }
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
