/* Destructive actions ask first: <form data-confirm="Rembourser ce paiement ?">, or a submit button
 * carrying data-confirm when one form holds several actions (Réactiver · Fermer).
 * The Content-Security-Policy forbids inline handlers (onsubmit="…"), so the question lives in
 * the markup and this file asks it. Without JavaScript the form is sent without asking. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
})();
