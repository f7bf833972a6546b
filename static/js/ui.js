/* Small behaviours of the layouts and components, without a build step:
 * - [data-toggle=ID] buttons open and close a menu (the public header's, the back-office sidebar)
 *   and keep aria-expanded in step; Escape closes;
 * - <input type=file> inside .file-drop gets a drop zone, the chosen file's name and, for an
 *   image, a preview;
 * - an account menu (<details>) closes when clicking elsewhere;
 * - every table with one row of column headers gets each cell labelled with its column's name
 *   (data-label) and data-stacked: on a phone site.css shows one card per row (« Nom : … »)
 *   instead of a table to scroll. Opt out with data-no-stack (without JS, tables scroll).
 * - a form sent back with errors brings its first error into view and focuses its field (the
 *   page reloads at the top; on a phone the error may be several screens down).
 * Everything works without JavaScript: menus are then simply shown (no html.js). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(target, open) {
    target.classList.toggle("open", open);
    document.querySelectorAll('[data-toggle="' + target.id + '"]').forEach(function (b) {
      b.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.body.classList.toggle("menu-open", open && target.id === "bo-sidebar");
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      if (target) { setOpen(target, !target.classList.contains("open")); }
      return;
    }
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".open[id]").forEach(function (target) { setOpen(target, false); });
    document.querySelectorAll("details.account-menu[open]").forEach(function (m) { m.removeAttribute("open"); });
  });

  function describe(input, zone) {
    var info = zone.querySelector(".file-drop-info");
    var preview = zone.querySelector(".file-drop-preview");
    var file = input.files && input.files[0];
    info.textContent = file ? file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " ko)" : "";
    if (preview) { preview.remove(); }
    if (file && /^image\//.test(file.type)) {
      var img = document.createElement("img");
      img.className = "file-drop-preview";
      img.alt = "Aperçu de " + file.name;
      zone.appendChild(img);
      /* A data: URL, which the Content-Security-Policy allows for images (blob: it does not). */
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.readAsDataURL(file);
    }
  }

  function enhanceFileInputs(root) {
    root.querySelectorAll('input[type=file]:not([data-enhanced])').forEach(function (input) {
      input.setAttribute("data-enhanced", "");
      var zone = document.createElement("div");
      zone.className = "file-drop";
      input.parentNode.insertBefore(zone, input);
      zone.appendChild(input);
      var hint = document.createElement("p");
      hint.className = "file-drop-hint";
      hint.textContent = "Glissez un fichier ici ou cliquez pour le choisir";
      zone.appendChild(hint);
      var info = document.createElement("p");
      info.className = "file-drop-info";
      info.setAttribute("aria-live", "polite");
      zone.appendChild(info);
      input.addEventListener("change", function () { describe(input, zone); });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (e) {
        e.preventDefault();
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          describe(input, zone);
        }
      });
    });
  }

  /* The visible name of a column header (a visually hidden one, e.g. « Action », gives ""). */
  function headerLabel(th) {
    var copy = th.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(function (el) { el.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function stackTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      if (table.hasAttribute("data-no-stack") || table.hasAttribute("data-stacked")) { return; }
      if (!table.tHead || table.tHead.rows.length !== 1) { return; }
      var labels = [];
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
        var label = headerLabel(th);
        th.setAttribute("data-label", label);
        for (var i = 0; i < th.colSpan; i++) { labels.push(label); }
      });
      var rows = [];
      Array.prototype.forEach.call(table.tBodies, function (body) { rows = rows.concat(Array.from(body.rows)); });
      if (table.tFoot) { rows = rows.concat(Array.from(table.tFoot.rows)); }
      rows.forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          // A cell spanning every column (an empty-list message) needs no label.
          cell.setAttribute("data-label", cell.colSpan >= labels.length ? "" : labels[column] || "");
          column += cell.colSpan;
        });
      });
      table.setAttribute("data-stacked", "");
    });
  }

  /* A table wider than a phone scrolls inside itself (site.css): keyboard users reach it too. */
  function focusableScrollers(root) {
    root.querySelectorAll("table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) { table.setAttribute("tabindex", "0"); }
      else if (table.getAttribute("tabindex") === "0") { table.removeAttribute("tabindex"); }
    });
  }

  function focusFirstError(root) {
    var error = root.querySelector("form .errorlist, form .form-errors");
    if (!error) { return; }
    var controls = "input:not([type=hidden]), select, textarea";
    var field = null;
    if (!error.classList.contains("nonfield") && !error.classList.contains("form-errors")) {
      /* The error sits inside its field's paragraph (our templates) or just before it (as_p). */
      var holder = error.closest(".field, p, fieldset");
      field = holder && holder.querySelector(controls);
      var next = error.nextElementSibling;
      if (!field && next) { field = next.matches(controls) ? next : next.querySelector(controls); }
    }
    var target = field || error;
    if (target === error && !error.hasAttribute("tabindex")) { error.setAttribute("tabindex", "-1"); }
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError(document);
    enhanceFileInputs(document);
    stackTables(document);
    focusableScrollers(document);
  });
  window.addEventListener("resize", function () { focusableScrollers(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    enhanceFileInputs(event.target);
    focusableScrollers(event.target);
  });
})();
