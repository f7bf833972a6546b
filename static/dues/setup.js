/* Saving a card for the automatic renewal: Stripe.js confirms the SetupIntent (3-D Secure if the
 * bank asks), then our server reads it back from Stripe and keeps the card.
 * Needs static/payments/stripe_form.js (loaded before). */
(function () {
  "use strict";
  var page = window.cptsCardForm && window.cptsCardForm(
    "card-setup", "La carte n'a pas pu être enregistrée. Vérifiez-la et réessayez."
  );
  if (!page) { return; }
  var root = page.root, fail = page.fail;

  page.form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!document.getElementById("consent").checked) {
      return fail("Cochez l'autorisation de prélèvement pour continuer.");
    }
    page.errors.textContent = "";
    page.button.disabled = true;
    try {
      var result = await page.stripe.confirmCardSetup(root.dataset.clientSecret, { payment_method: { card: page.card } });
      if (result.error) { return fail(result.error.message ? "Carte refusée : " + result.error.message : null); }
      var data = await page.post(root.dataset.saveUrl, "setup_intent", result.setupIntent.id);
      if (!data.ok) { return fail(data.error); }
      window.location.assign(data.redirect);
    } catch (error) {
      fail(null);
    }
  });
})();
