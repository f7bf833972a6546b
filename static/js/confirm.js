/* Forms that ask before a destructive action: <form data-confirm="Rembourser ce paiement ?">.
 * The Content-Security-Policy forbids inline handlers (onsubmit="…"), so the question lives in
 * the markup and this file asks it. Without JavaScript the form is sent without asking. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  }, true);
})();
