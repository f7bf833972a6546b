/* What every card form on Stripe.js shares (static/payments/card.js: paying; static/dues/setup.js:
 * saving a card for the automatic renewal): Stripe.js bound to the CPTS's publishable key, the card
 * field mounted, the French error line, and the same-origin POST to our server with the CSRF token.
 * Load it after Stripe.js and before the form's own script. */
(function () {
  "use strict";
  /* The card form in the element ``rootId`` (data-publishable-key on it; #card-form, #card-element,
   * #card-errors and #card-submit inside), or null when the page has none or Stripe.js did not load.
   * ``fallback`` is the French message shown when a failure brings none. */
  window.cptsCardForm = function (rootId, fallback) {
    var root = document.getElementById(rootId);
    if (!root || typeof Stripe === "undefined") { return null; }
    var stripe = Stripe(root.dataset.publishableKey);
    var card = stripe.elements().create("card", { hidePostalCode: true });
    card.mount("#card-element");
    var form = document.getElementById("card-form");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("card-submit");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    return {
      root: root, stripe: stripe, card: card, form: form, errors: errors, button: button,
      fail: function (message) {
        errors.textContent = message || fallback;
        button.disabled = false;
      },
      /* POST ``name=value`` to our ``url``; resolves to the JSON answer. */
      post: async function (url, name, value) {
        var response = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
          body: name + "=" + encodeURIComponent(value)
        });
        return response.json();
      }
    };
  };
})();
