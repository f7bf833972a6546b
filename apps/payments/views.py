"""The card-payment page parts, once for every payable: the card form's context, its JSON confirm
view, and what a payment status page says. The payable's own app (dues, events) mounts them
under its URLs with its own access check and routes."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.access import AUTHENTICATED

from . import card
from .models import Payment


def card_form_context(payment: Payment, *, confirm_route: str, status_route: str) -> dict:
    """What ``payments/_card_form.html`` needs."""
    return {
        "card_available": True,
        "payment": payment,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "embedded": settings.STRIPE_EMBEDDED,
        "confirm_url": reverse(confirm_route, args=[payment.pk]),
        "status_url": reverse(status_route, args=[payment.pk]),
    }


def card_confirm_response(
    request, payment: Payment, *, confirm_route: str, status_route: str
) -> JsonResponse:
    """JSON for the card form: confirm with the payment method Stripe.js collected; after a
    decline, point the form at the fresh attempt."""
    payment_method = request.POST.get("payment_method", "")
    if not payment_method.startswith(("pm_", "card_", "tok_")):
        return JsonResponse({"status": "invalid", "error": _("Moyen de paiement manquant.")}, status=400)
    result = card.confirm_card_payment(actor=request.user, payment=payment, payment_method_id=payment_method)
    result["status_url"] = reverse(status_route, args=[payment.pk])
    if result.get("retry_payment"):
        result["confirm_url"] = reverse(confirm_route, args=[result["retry_payment"]])
        result["status_url"] = reverse(status_route, args=[result["retry_payment"]])
    return JsonResponse(result, status=200 if result["status"] not in ("invalid",) else 400)


def card_confirm_view(access, *, confirm_route: str, status_route: str):
    """The JSON view of a card form: ``access(user, payment_id)`` returns the caller's own
    payment or raises Http404; then ``card_confirm_response``."""

    @require_POST
    def view(request, payment_id: int):
        if not request.user.is_authenticated:
            return JsonResponse(
                {"status": "invalid", "error": _("Session expirée : reconnectez-vous.")}, status=403
            )
        payment = access(request.user, payment_id)
        return card_confirm_response(request, payment, confirm_route=confirm_route, status_route=status_route)

    # Declared signed-in only: enforced just above, with a JSON answer the card form can show.
    view.access = AUTHENTICATED
    return view


def payment_page_state(payment: Payment) -> dict:
    """What a payment status page says besides the payment's status: where a pending card
    attempt stands on Stripe, why a failed one failed."""
    state = card.attempt_state(payment)
    failure = card.failure_message(payment) if payment.status == Payment.Status.FAILED else ""
    return {"attempt_state": state, "failure_message": failure}
