// Certificate uploads: drag-and-drop onto the file field, a list of the chosen files with image
// thumbnails, and a progress bar while htmx sends the form. Without JavaScript the plain file
// input still works. Loaded by templates/training/_upload_field.html (also after hx-boost swaps,
// hence the guard).
(function () {
  "use strict";
  if (window.portalUploadsReady) { return; }
  window.portalUploadsReady = true;
  var MAX_BYTES = 5 * 1024 * 1024;
  var ALLOWED = /\.(pdf|jpe?g|png)$/i;

  function sizeLabel(bytes) {
    return bytes < 1048576 ? Math.max(1, Math.round(bytes / 1024)) + " KiB" : (bytes / 1048576).toFixed(1) + " MiB";
  }

  function showChosen(input) {
    var box = input.closest(".upload-field");
    var list = box && box.querySelector("[data-chosen]");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      var thumb;
      if (/^image\/(png|jpeg)$/.test(file.type) && file.size <= MAX_BYTES) {
        thumb = document.createElement("img");
        thumb.alt = "";
        var reader = new FileReader();
        reader.onload = function () { thumb.src = reader.result; };
        reader.readAsDataURL(file);
      } else {
        thumb = document.createElement("span");
        thumb.className = "file-kind";
        thumb.textContent = (file.name.split(".").pop() || "?").toUpperCase();
      }
      item.appendChild(thumb);
      var text = document.createElement("span");
      text.textContent = file.name + " · " + sizeLabel(file.size);
      item.appendChild(text);
      var problem = file.size > MAX_BYTES ? box.dataset.tooBig : (!ALLOWED.test(file.name) ? box.dataset.badType : "");
      if (problem) {
        var warn = document.createElement("strong");
        warn.className = "error";
        warn.textContent = problem;
        item.appendChild(warn);
      }
      list.appendChild(item);
    });
  }

  function fieldOf(event) {
    return event.target && event.target.closest ? event.target.closest(".upload-field") : null;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".upload-field input[type=file]")) { showChosen(event.target); }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var box = fieldOf(event);
      if (!box) { return; }
      event.preventDefault();
      box.classList.add("dragging");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var box = fieldOf(event);
    if (box && !box.contains(event.relatedTarget)) { box.classList.remove("dragging"); }
  });
  document.addEventListener("drop", function (event) {
    var box = fieldOf(event);
    if (!box) { return; }
    event.preventDefault();
    box.classList.remove("dragging");
    var input = box.querySelector("input[type=file]");
    var merged = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { merged.items.add(f); });
    Array.prototype.forEach.call(event.dataTransfer.files, function (f) { merged.items.add(f); });
    input.files = merged.files;
    showChosen(input);
  });

  function progressOf(event) {
    var form = event.target && event.target.closest ? event.target.closest("form.upload-form") : null;
    return form ? form.querySelector("[data-progress]") : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = progressOf(event);
    if (box && box.closest("form").querySelector("input[type=file]").files.length) {
      box.hidden = false;
      box.querySelector("progress").value = 0;
    }
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var box = progressOf(event);
    if (box && event.detail.lengthComputable && event.detail.total) {
      box.querySelector("progress").value = Math.round(100 * event.detail.loaded / event.detail.total);
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = progressOf(event);
    if (box) { box.hidden = true; }
  });
})();
