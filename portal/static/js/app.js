// Small progressive enhancements; every form also works with JavaScript off.
(function () {
  "use strict";
  function focusErrors(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  // Warn before the idle sign-out (WCAG 2.2.1); any request, or the button, restarts the clock.
  var warningTimer = null;
  function armSessionWarning() {
    var after = parseInt(document.body.getAttribute("data-session-warning-after") || "0", 10);
    var box = document.getElementById("session-warning");
    if (!after || !box) { return; }
    box.hidden = true;
    clearTimeout(warningTimer);
    warningTimer = setTimeout(function () {
      box.hidden = false;
      var button = box.querySelector("button");
      if (button) { button.focus(); }
    }, after * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); armSessionWarning(); });
  document.addEventListener("htmx:afterRequest", armSessionWarning);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id !== "id_number-status") { focusErrors(event.detail.target); }
  });
})();
