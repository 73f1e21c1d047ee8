/* 六大员评选: the ballot's "n of max" counter, keeping a receipt code in this browser if asked, and
   filling it in on the ballot list. The server checks everything again; this only helps. */
(function () {
  "use strict";

  // Ballot: at most data-max ticks per category; the counter says how many are chosen.
  document.querySelectorAll(".ballot-category[data-max]").forEach(function (box) {
    var max = parseInt(box.getAttribute("data-max"), 10);
    var counter = box.querySelector(".ballot-count");
    var refusal = box.querySelector(".ballot-refusal");
    function update(changed) {
      var ticked = box.querySelectorAll("input[type=checkbox]:checked");
      if (refusal) { refusal.textContent = ""; }
      if (ticked.length > max && changed) {
        changed.checked = false;
        ticked = box.querySelectorAll("input[type=checkbox]:checked");
        if (refusal) { refusal.textContent = "本类别最多选 " + max + " 人，请先取消一人再选。"; }
      }
      if (counter) {
        counter.textContent = ticked.length ? "已选 " + ticked.length + " / " + max + " 人" : "未选择（视为弃权）";
      }
    }
    box.addEventListener("change", function (event) { update(event.target); });
    update(null);
  });

  // Confirmation: once 确认投票 is pressed it cannot be pressed again while the ballot is on its way
  // (a second tap would be refused anyway, and its answer would replace the receipt).
  document.querySelectorAll("form").forEach(function (form) {
    var cast = form.querySelector("button[data-busy]");
    if (!cast) { return; }
    form.addEventListener("submit", function (event) {
      if (event.submitter !== cast) { return; }
      cast.disabled = true;  // the button has no name: the form's data loses nothing
      cast.textContent = cast.getAttribute("data-busy");
    });
  });

  function storageKey(campaign) { return "exemplar-receipt-" + campaign; }

  // Receipt: keep the code in this browser only when the voter asks.
  document.querySelectorAll("[data-save-code]").forEach(function (button) {
    button.addEventListener("click", function () {
      var note = document.querySelector(".save-note");
      try {
        window.localStorage.setItem(storageKey(button.getAttribute("data-campaign")), button.getAttribute("data-save-code"));
        button.disabled = true;
        button.textContent = "已保存在本机浏览器";
      } catch (error) {
        if (note) { note.textContent = "本机浏览器不允许保存，请截图或抄下回执码。"; }
      }
    });
  });

  // Ballot list: fill in a code kept in this browser.
  var code = document.querySelector("input[name=code][data-campaign]");
  if (code && !code.value) {
    try {
      var kept = window.localStorage.getItem(storageKey(code.getAttribute("data-campaign")));
      if (kept) { code.value = kept; }
    } catch (error) { /* storage refused: the voter types the code */ }
  }
})();
