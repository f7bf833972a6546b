from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tenants.access import public

from .webhooks import BadSignature, record_event, verify


@public  # Stripe itself calls it; the signature is the check (verify).
@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe → platform. 400 and nothing stored unless the signature of the raw body is valid."""
    try:
        event = verify(request.body, request.META.get("HTTP_STRIPE_SIGNATURE", ""))
    except BadSignature:
        return HttpResponseBadRequest("invalid signature")
    if not isinstance(event, dict) or not event.get("id"):
        return HttpResponseBadRequest("not an event")
    record_event(event)
    return HttpResponse("ok")
