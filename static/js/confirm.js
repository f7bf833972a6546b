/* Destructive actions ask first: <form data-confirm="Rembourser ce paiement ?">, or a submit button
 * carrying data-confirm when one form holds several actions (Réactiver · Fermer).
 * The question opens in the page's <dialog id="confirm-dialog"> (templates/components/
 * confirm_dialog.html): « Annuler » keeps everything, « Confirmer » sends the form with the button
 * that was pressed. Where <dialog> is missing, the browser's own confirm() asks. The
 * Content-Security-Policy forbids inline handlers, so the question lives in the markup and this
 * file asks it. Without JavaScript the form is sent without asking. */
(function () {
  "use strict";
  var confirmed = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!question) { return; }
    if (confirmed === form) { confirmed = null; return; }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (!window.confirm(question)) { event.preventDefault(); }
      return;
    }
    event.preventDefault();
    dialog.querySelector("#confirm-dialog-question").textContent = question;
    var yes = dialog.querySelector("button[value=confirm]");
    var no = dialog.querySelector("button[value=cancel]");
    yes.textContent = (button && button.getAttribute("data-confirm-label")) || form.getAttribute("data-confirm-label") || "Confirmer";
    function close(send) {
      yes.removeEventListener("click", onYes);
      no.removeEventListener("click", onNo);
      dialog.close();
      if (send) {
        confirmed = form;
        if (typeof form.requestSubmit === "function") { form.requestSubmit(button || undefined); }
        else { form.submit(); }
      } else if (button) {
        button.focus();
      }
    }
    function onYes() { close(true); }
    function onNo() { close(false); }
    yes.addEventListener("click", onYes);
    no.addEventListener("click", onNo);
    dialog.addEventListener("cancel", function () { close(false); }, { once: true });
    dialog.showModal();
    no.focus();
  }, true);
})();
