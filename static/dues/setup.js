/* Saving a card for the automatic renewal: Stripe.js confirms the SetupIntent (3-D Secure if the
 * bank asks), then our server reads it back from Stripe and keeps the card. */
(function () {
  "use strict";
  var root = document.getElementById("card-setup");
  if (!root || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(root.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  var form = document.getElementById("card-form");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-submit");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function fail(message) {
    errors.textContent = message || "La carte n'a pas pu être enregistrée. Vérifiez-la et réessayez.";
    button.disabled = false;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!document.getElementById("consent").checked) {
      return fail("Cochez l'autorisation de prélèvement pour continuer.");
    }
    errors.textContent = "";
    button.disabled = true;
    try {
      var result = await stripe.confirmCardSetup(root.dataset.clientSecret, { payment_method: { card: card } });
      if (result.error) { return fail(result.error.message ? "Carte refusée : " + result.error.message : null); }
      var response = await fetch(root.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body: "setup_intent=" + encodeURIComponent(result.setupIntent.id)
      });
      var data = await response.json();
      if (!data.ok) { return fail(data.error); }
      window.location.assign(data.redirect);
    } catch (error) {
      fail(null);
    }
  });
})();
