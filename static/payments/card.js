/* Card form of a payment — dues or a paid event registration (docs/payments.md).
 * Stripe.js collects the card (our server never sees it), our server confirms the PaymentIntent
 * on the CPTS's Stripe account, Stripe.js runs 3-D Secure when asked. The webhook, not this page,
 * activates the dues (confirms the registration): we only go to the status page, which polls.
 * With localstripe (data-embedded="1") its Stripe.js stand-in has no createPaymentMethod: the card
 * is tokenised with createToken and the token's card id is used as the payment method. */
(function () {
  "use strict";
  var root = document.getElementById("card-payment");
  if (!root || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(root.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  var form = document.getElementById("card-form");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-submit");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function fail(message) {
    errors.textContent = message || "Le paiement n'a pas abouti. Vérifiez votre carte et réessayez.";
    button.disabled = false;
  }

  async function paymentMethodId() {
    if (root.dataset.embedded === "1") {
      var tokenResult = await stripe.createToken(card);
      if (tokenResult.error) { throw tokenResult.error; }
      return tokenResult.token.card.id;
    }
    var result = await stripe.createPaymentMethod({ type: "card", card: card });
    if (result.error) { throw result.error; }
    return result.paymentMethod.id;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errors.textContent = "";
    button.disabled = true;
    try {
      var pm = await paymentMethodId();
      var response = await fetch(root.dataset.confirmUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body: "payment_method=" + encodeURIComponent(pm)
      });
      var data = await response.json();
      if (data.confirm_url) {
        // The declined attempt is closed; the next try goes to the fresh one.
        root.dataset.confirmUrl = data.confirm_url;
        root.dataset.statusUrl = data.status_url;
      }
      if (data.error) { return fail(data.error); }
      if (data.status === "requires_action") {
        // Whatever the outcome (authenticated, failed, window closed), the status page reads the
        // PaymentIntent from Stripe and says it in French, with a way to try again.
        await stripe.confirmCardPayment(data.client_secret);
      }
      window.location.assign(data.status_url || root.dataset.statusUrl);
    } catch (error) {
      fail(error && error.message ? "Carte refusée ou incomplète : " + error.message : null);
    }
  });
})();
