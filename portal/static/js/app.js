// Small progressive enhancements; every form also works with JavaScript off.
(function () {
  "use strict";
  var HEADINGS = "h1, h2, h3, h4, h5, h6";

  // One polite live region for the whole page, created before anything changes (a region added together with its
  // text is not read by every screen reader). Setting the same text twice is read twice: it is cleared first.
  var announcer = null;
  function announce(text) {
    if (!text) { return; }
    if (!announcer) {
      announcer = document.createElement("div");
      announcer.id = "swap-announcer";
      announcer.className = "visually-hidden";
      announcer.setAttribute("aria-live", "polite");
      announcer.setAttribute("aria-atomic", "true");
    }
    if (!announcer.isConnected) { document.body.appendChild(announcer); }   // a boosted page replaced the body
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text.replace(/\s+/g, " ").trim(); }, 50);
  }

  function focusOn(element) {
    if (!element.hasAttribute("tabindex")) { element.setAttribute("tabindex", "-1"); }
    element.setAttribute("data-swap-focus", "");
    element.focus();
  }

  function focusErrors(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { summary.focus(); }
    return summary;
  }

  // The heading of a changed region: its own first heading, else the nearest heading before it in the page
  // (the grid and the result lists sit under their page's heading), else the region itself.
  function headingOf(region) {
    var scope = region === document.body ? (document.getElementById("main") || region) : region;
    var own = scope.querySelector(HEADINGS);
    if (own) { return own; }
    var all = Array.prototype.slice.call(document.querySelectorAll("main " + HEADINGS));
    var before = all.filter(function (h) {
      return h.compareDocumentPosition(region) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    return before.length ? before[before.length - 1] : region;
  }

  // The text that says what changed: a status message in the region (e.g. "3 entries saved", "已儲存") and the
  // heading that now has focus.
  function changeText(region, heading) {
    var status = region.querySelector(".flash, [role='status']:not(:empty)");
    var parts = [status ? status.textContent : "", heading && heading !== region ? heading.textContent : ""];
    return parts.filter(Boolean).join(" ");
  }

  // Focus moves after what the user did on purpose (a click, a submitted form), or when the focused element was
  // itself replaced: a list that refreshes while a filter is typed, a live check, or a section that loads when
  // opened leaves focus where it is.
  var MOVING_EVENTS = { click: true, submit: true };

  function afterSwap(detail, element) {
    var region = element && element.isConnected ? element : null;
    var target = detail.target;
    if (!region && target) { region = target.isConnected ? target : (target.id && document.getElementById(target.id)); }
    if (!region || region.id === "id_number-status") { return; }
    var config = detail.requestConfig || {};
    var trigger = config.triggeringEvent ? config.triggeringEvent.type : "";
    var boosted = !!detail.boosted || region === document.body;
    // The element the user acted on was replaced (polling, which no user event triggers, never moves focus).
    var lost = !!trigger && (!document.activeElement || document.activeElement === document.body);
    if (!boosted && !MOVING_EVENTS[trigger] && !lost) { return; }
    var summary = focusErrors(region);
    if (summary) {
      announce((summary.querySelector(HEADINGS) || summary).textContent);
      return;
    }
    // An element the new content asks to be focused (the grid's new row, a marked notification, a confirmation
    // message): htmx focuses the first one it swapped in, possibly in another element of the same response
    // than `region`; keep it, or focus the region's own.
    var active = document.activeElement;
    var wanted = active && active !== document.body && active.hasAttribute("autofocus") ? active
      : region.querySelector("[autofocus]");
    if (wanted) {
      if (document.activeElement !== wanted) { wanted.focus(); }   // not focusOn: an input keeps its Tab stop
      announce(changeText(region, null) || wanted.textContent);
      return;
    }
    var heading = headingOf(region);
    focusOn(heading);
    announce(changeText(region, heading) || heading.textContent);
  }

  // Several elements of one swap each fire htmx:afterSettle (after htmx's own [autofocus] handling): act once.
  var pending = null;
  document.addEventListener("htmx:afterSettle", function (event) {
    if (pending) { return; }
    pending = { detail: event.detail, element: event.target };
    setTimeout(function () {
      var swap = pending;
      pending = null;
      afterSwap(swap.detail, swap.element);
    }, 0);
  });

  // An error summary's link moves focus to its field or grid cell (a fragment link alone only scrolls in some
  // browsers) and shows the field's label above it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field) { return; }
    event.preventDefault();
    var label = field.id && document.querySelector("label[for='" + CSS.escape(field.id) + "']");
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });

  // Select-all of a bulk list: <input type="checkbox" data-select-all> in a table's header (or a fieldset) checks
  // every other checkbox of that table (or fieldset); it is hidden until this script runs (without JavaScript each row is still checked by hand). It
  // shows "some" (indeterminate) when only part of the rows are checked.
  function scopeOf(element) { return element.closest("table, fieldset"); }
  function rowBoxes(all) {
    var scope = scopeOf(all);
    return scope ? Array.prototype.filter.call(scope.querySelectorAll("input[type='checkbox']:not([data-select-all])"),
      function (box) { return !box.disabled; }) : [];
  }
  function syncSelectAll(all) {
    var boxes = rowBoxes(all);
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = boxes.length > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
    all.disabled = boxes.length === 0;
  }
  function armSelectAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-select-all]"), function (all) {
      var wrap = all.closest("[hidden]");
      if (wrap) { wrap.hidden = false; }
      syncSelectAll(all);
    });
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("[data-select-all]")) {
      rowBoxes(box).forEach(function (row) { row.checked = box.checked; });
      return;
    }
    var scope = box.type === "checkbox" && box.closest && scopeOf(box);
    var all = scope && scope.querySelector("[data-select-all]");
    if (all) { syncSelectAll(all); }
  });

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

  document.addEventListener("DOMContentLoaded", function () {
    announce(" ");
    focusErrors(document);
    armSelectAll(document);
    armSessionWarning();
  });
  document.addEventListener("htmx:load", function (event) { armSelectAll(event.target); });
  document.addEventListener("htmx:afterRequest", armSessionWarning);
})();
