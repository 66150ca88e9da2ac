// Batch-entry grid: Enter moves to the same cell of the next row (Shift+Enter: previous row);
// Enter in the last row adds a row. Tab works as usual. Without JavaScript, Enter checks the rows.
(function () {
  "use strict";
  if (window.hoursGridReady) { return; }
  window.hoursGridReady = true;

  function cell(row, column) {
    return row ? row.querySelector('[data-col="' + column + '"]') : null;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) { return; }  // IME input confirms with Enter
    if (!target.matches || !target.matches("#grid td input, #grid td select")) { return; }
    event.preventDefault();
    var row = target.closest("tr");
    var column = target.getAttribute("data-col");
    var next = cell(event.shiftKey ? row.previousElementSibling : row.nextElementSibling, column);
    if (next) {
      next.focus();
      if (next.select) { next.select(); }
      return;
    }
    if (!event.shiftKey) {
      var add = document.querySelector('#grid button[value="add"]');
      if (add) { add.click(); }
    }
  });
  // After a swap htmx focuses the cell marked autofocus (a new row, the row after a removed one); static/js/app.js
  // moves focus to the error summary when there are problems, whose links lead to each bad cell.
})();
