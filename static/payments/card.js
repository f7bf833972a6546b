/* Card form of a payment — dues or a paid event registration (docs/payments.md).
 * Stripe.js collects the card (our server never sees it), our server confirms the PaymentIntent
 * on the CPTS's Stripe account, Stripe.js runs 3-D Secure when asked. The webhook, not this page,
 * activates the dues (confirms the registration): we only go to the status page, which polls.
 * With localstripe (data-embedded="1") its Stripe.js stand-in has no createPaymentMethod: the card
 * is tokenised with createToken and the token's card id is used as the payment method.
 * Needs static/payments/stripe_form.js (loaded before). */
(function () {
  "use strict";
  var page = window.cptsCardForm && window.cptsCardForm(
    "card-payment", "Le paiement n'a pas abouti. Vérifiez votre carte et réessayez."
  );
  if (!page) { return; }
  var root = page.root, stripe = page.stripe, card = page.card, fail = page.fail;

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

  page.form.addEventListener("submit", async function (event) {
    event.preventDefault();
    page.errors.textContent = "";
    page.button.disabled = true;
    try {
      var pm = await paymentMethodId();
      var data = await page.post(root.dataset.confirmUrl, "payment_method", pm);
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
