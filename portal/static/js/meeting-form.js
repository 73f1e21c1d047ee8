// The scheduling form: the hints and the 党小组 picker follow the session's kind, and choosing a
// kind (or a group for a 党小组会) ticks that kind's default attendees, which the server lists on
// each box (data-defaults). Only a convenience: without it every hint shows and the boxes are
// ticked by hand; the server saves exactly the boxes ticked.
(function () {
  "use strict";
  var form = document.querySelector("[data-meeting-form]");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  var group = form.querySelector("select[name=group_id]");
  var hints = form.querySelectorAll("[data-kinds]");
  var boxes = form.querySelectorAll("input[name=attendee_ids]");

  function show() {
    hints.forEach(function (hint) {
      hint.hidden = hint.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
    });
  }

  function tick() {
    var key = kind.value;
    if (key === "group_meeting") {
      key = group && group.value ? "group_meeting:" + group.value : null;  // no group yet: nobody
    }
    boxes.forEach(function (box) {
      box.checked = key !== null && (box.getAttribute("data-defaults") || "").split(" ").indexOf(key) !== -1;
    });
  }

  kind.addEventListener("change", function () { show(); tick(); });
  if (group) { group.addEventListener("change", tick); }
  show();
})();
