/* Rich-text fields: the vendored Trix editor (static/vendor/trix), loaded once whatever the number
 * of fields, its toolbar in French, and images sent to the CPTS's upload endpoint
 * (data-upload-url on the editor); the server resizes them and asks for a description. The
 * Content-Security-Policy forbids inline scripts, so everything lives here. */
(function () {
  "use strict";
  if (window.cptsRichText) { return; }
  window.cptsRichText = true;

  var LABELS = {
    bold: "Gras", italic: "Italique", strike: "Barré", href: "Lien", heading1: "Titre",
    quote: "Citation", code: "Code", bullet: "Liste à puces", number: "Liste numérotée",
    decreaseNestingLevel: "Diminuer le retrait", increaseNestingLevel: "Augmenter le retrait",
    attachFiles: "Insérer une image", undo: "Annuler la frappe", redo: "Rétablir",
    urlPlaceholder: "Adresse du lien", link: "Valider", unlink: "Retirer le lien",
    captionPlaceholder: "Décrivez l'image (obligatoire)", remove: "Retirer", GB: "Go", KB: "Ko",
    MB: "Mo", PB: "Po", TB: "To", bytes: "octets"
  };

  function csrfToken(element) {
    var form = element.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function upload(event) {
    var attachment = event.attachment;
    var editor = event.target;
    var url = editor.getAttribute("data-upload-url");
    if (!attachment.file || !url) { return; }
    var data = new FormData();
    data.append("image", attachment.file);
    var request = new XMLHttpRequest();
    request.open("POST", url, true);
    request.setRequestHeader("X-CSRFToken", csrfToken(editor));
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) { attachment.setUploadProgress(progress.loaded / progress.total * 100); }
    });
    request.addEventListener("load", function () {
      var answer = {};
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = {}; }
      if (request.status === 201 && answer.url) {
        attachment.setAttributes({ url: answer.url, href: answer.url });
      } else {
        attachment.remove();
        window.alert(answer.error || "L'image n'a pas pu être envoyée.");
      }
    });
    request.send(data);
  }

  // Trix builds its toolbar from its labels once an editor connects, just after this event.
  document.addEventListener("trix-before-initialize", function () {
    Object.assign(window.Trix.config.lang, LABELS);
    // Headings of the site are h2 (the page title is the h1).
    window.Trix.config.blockAttributes.heading1.tagName = "h2";
  });
  document.addEventListener("trix-file-accept", function (event) {
    if (!event.target.getAttribute("data-upload-url") || !/^image\/(png|jpeg|webp|gif)$/.test(event.file.type)) {
      event.preventDefault();
      window.alert("Seules les images PNG, JPEG, WebP ou GIF peuvent être insérées.");
    }
  });
  document.addEventListener("trix-attachment-add", upload);

  // Each textarea gets its editor; the label names it for screen readers.
  document.querySelectorAll("textarea[data-rich-text]").forEach(function (textarea) {
    var editor = document.createElement("trix-editor");
    editor.setAttribute("input", textarea.id);
    editor.setAttribute("class", "rich-editor prose");
    editor.setAttribute("data-upload-url", textarea.getAttribute("data-upload-url") || "");
    var label = document.querySelector("label[for='" + textarea.id + "']");
    if (label) { editor.setAttribute("aria-label", label.textContent.replace(/\s*:\s*$/, "").trim()); }
    if (textarea.getAttribute("aria-describedby")) {
      editor.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    textarea.hidden = true;
    textarea.insertAdjacentElement("afterend", editor);
  });

  // Loaded once, however many rich-text fields the page has.
  var script = document.createElement("script");
  script.src = document.currentScript.getAttribute("data-trix-src");
  document.head.appendChild(script);
})();
