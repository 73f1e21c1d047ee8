// 每周一测: save each answer as soon as it changes, show the time left, the save state and how
// many questions are answered, and confirm 交卷 in the page with the questions still unanswered.
// Only a convenience: the page works without it (保存 posts the whole form; 交卷 saves it and
// the server's confirmation lists what is unanswered), and the server owns the clock — it
// refuses a late answer whatever this countdown says.
(function () {
  "use strict";
  var form = document.querySelector("[data-quiz-form]");
  if (!form) { return; }
  var answerUrl = form.getAttribute("data-answer-url");
  var submitUrl = form.getAttribute("data-submit-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.querySelector("[data-save-status]");
  var state = document.querySelector("[data-save-state]");
  var answeredCount = document.querySelector("[data-answered]");
  var summary = form.querySelector("[data-unanswered-summary]");
  var clock = document.querySelector("[data-remaining]");
  var endsAt = Date.now() + (parseInt(clock.getAttribute("data-remaining"), 10) || 0) * 1000;
  var submit = form.querySelector("[data-testid=submit]");
  var panel = form.querySelector("[data-confirm-panel]");
  var pending = {};  // position -> true while a change is not yet stored on the server
  var failed = {};  // position -> true while its last save failed
  var inFlight = 0;
  var timers = {};
  var closed = false;

  function fieldsets() { return form.querySelectorAll("fieldset[data-position]"); }

  function say(text, bad) {
    status.textContent = text;
    status.className = "small mb-3 " + (bad ? "text-danger" : "text-success");
  }

  // The bar: 保存中… while a save is on its way, 保存失败 while one has failed, else 已保存.
  function showState() {
    var text = "已保存", tone = "text-success";
    if (Object.keys(failed).length) { text = "保存失败"; tone = "text-danger"; }
    else if (inFlight > 0 || Object.keys(pending).length) { text = "保存中…"; tone = "text-secondary"; }
    state.textContent = text;
    state.className = "quiz-bar-state " + tone;
  }

  function isAnswered(fieldset) {
    var inputs = fieldset.querySelectorAll("input:not([type=hidden])");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function unanswered() {
    var missing = [];
    fieldsets().forEach(function (fieldset) {
      if (!isAnswered(fieldset)) { missing.push(fieldset.getAttribute("data-position")); }
    });
    return missing;
  }

  // The same words as the server's (attempts.unanswered_message).
  function unansweredText(missing) {
    if (!missing.length) { return "已全部作答"; }
    return "还有 " + missing.length + " 题未作答：第 " + missing.join("、") + " 题";
  }

  function count() {
    var missing = unanswered();
    answeredCount.textContent = String(fieldsets().length - missing.length);
    summary.textContent = unansweredText(missing);
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
    inFlight += 1;
    showState();
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
      inFlight -= 1;
      delete pending[position];
      if (result.ok && result.reply.saved) {
        delete failed[position];
        endsAt = Date.now() + result.reply.remaining * 1000;
        say("第 " + position + " 题已自动保存 " + new Date().toLocaleTimeString("zh-CN"));
      } else {
        failed[position] = true;
        say(result.reply.message || "保存失败", true);
        if (result.reply.closed) { closed = true; window.setTimeout(function () { window.location.reload(); }, 1500); }
      }
      showState();
    }).catch(function () {
      inFlight -= 1;
      failed[position] = true;  // still pending: retried below
      showState();
      say("网络中断，第 " + position + " 题尚未保存；恢复网络后会自动重试，也可点“保存”", true);
    });
  }

  form.addEventListener("change", function (event) {
    count();
    var fieldset = event.target.closest("fieldset[data-position]");
    if (fieldset && !closed) { save(fieldset); }
  });
  form.addEventListener("input", function (event) {
    // Typing in a blank: save after a short pause rather than on every key.
    var fieldset = event.target.closest("fieldset[data-position]");
    if (!fieldset || event.target.type !== "text") { return; }
    count();
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

  function handIn() {
    // The whole paper goes to 交卷, as the form shows it: the server stores what differs and marks it.
    closed = true;
    form.setAttribute("action", submitUrl);
    form.submit();
  }

  // 交卷: a confirmation in the page, listing the questions still unanswered.
  submit.addEventListener("click", function (event) {
    event.preventDefault();
    panel.querySelector("[data-confirm-text]").textContent = unansweredText(unanswered());
    panel.hidden = false;
    panel.scrollIntoView({ block: "center" });
    panel.focus();
  });
  panel.querySelector("[data-confirm-yes]").addEventListener("click", handIn);
  panel.querySelector("[data-confirm-no]").addEventListener("click", function () {
    panel.hidden = true;
    var missing = unanswered();
    var first = missing.length && form.querySelector("fieldset[data-position='" + missing[0] + "']");
    if (first) { first.scrollIntoView({ block: "start" }); } else { submit.focus(); }
  });

  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    clock.textContent = "剩余 " + Math.floor(left / 60) + " 分 " + (left % 60) + " 秒";
    if (left === 0) {
      // Time is up: hand the paper in. The server keeps only what arrived before its deadline
      // and closes the attempt with the answers saved so far, then shows the result.
      if (!closed) { closed = true; window.setTimeout(handIn, 1000); }
      return;
    }
    window.setTimeout(tick, 1000);
  }
  state.hidden = false;
  showState();
  count();
  tick();
})();
