import csv
import logging

import stripe
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.audit.log import record
from apps.form_errors import add_errors_to_form
from apps.members.models import Role
from apps.members.permissions import NotInGoodStanding, members_only_response, role_required
from apps.payments import card
from apps.payments.views import card_confirm_view, card_form_context, payment_page_state
from tenants import rate_limit
from tenants.access import authenticated, public
from tenants.client_ip import client_ip
from tenants.rate_limit import RateLimited

from . import mails, selectors, services
from .forms import AttendanceForm, EventForm, GuestRegistrationForm
from .ical import build_calendar
from .models import Registration

logger = logging.getLogger(__name__)


def _visible_event(request, pk: int):
    """The event if this visitor may see it. Anonymous visitors asking for anything they cannot see
    are sent to the login page whether or not it exists; signed-in outsiders get 404."""
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        if not request.user.is_authenticated:
            raise _LoginRequired
        refusal = selectors.members_only_refusal(request.membership, pk)
        if refusal is not None:
            raise NotInGoodStanding(refusal)
        raise Http404
    return event


class _LoginRequired(Exception):
    pass


def _login_on_hidden(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())
        except NotInGoodStanding as refusal:
            return members_only_response(request, refusal.refusal)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@public
def event_list(request):
    membership = request.membership
    return render(
        request,
        "events/list.html",
        {
            "upcoming": selectors.list_events(membership, upcoming=True),
            "past": selectors.list_events(membership, upcoming=False)[:20],
            "is_team": membership is not None and membership.has_role(Role.TEAM),
        },
    )


def _guest_form_for(request, event):
    """The name-and-e-mail form offered to visitors without an account (free public events)."""
    if request.user.is_authenticated or services.guest_refusal(event):
        return None
    return GuestRegistrationForm()


@public
@_login_on_hidden
def event_detail(request, pk: int):
    event = _visible_event(request, pk)
    return _render_detail(request, event, guest_form=_guest_form_for(request, event))


def _render_detail(request, event, *, guest_form=None, status: int = 200):
    registration = selectors.get_registration(event, request.user)
    hold_expired = registration is not None and (
        registration.status == Registration.Status.EXPIRED
        or (registration.status == Registration.Status.PENDING and registration.hold_is_over)
    )
    if registration is not None and (registration.status == Registration.Status.CANCELLED or hold_expired):
        registration = None
    membership = request.membership
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": registration,
            "hold_expired": hold_expired,
            "places_left": None if event.capacity is None else max(0, event.capacity - event.confirmed_count),
            "is_team": membership is not None and membership.has_role(Role.TEAM),
            "guest_form": guest_form,
        },
        status=status,
    )


@public
@require_POST
@_login_on_hidden
def guest_register(request, pk: int):
    """A visitor without an account registers by name and e-mail (free public events; honeypot,
    rate limit per address). Whether the address was already registered or not, the answer is the
    same page: it does not tell who is registered."""
    event = _visible_event(request, pk)
    with translation.override("fr"):
        form = GuestRegistrationForm(request.POST)
        refusal = services.guest_refusal(event)
        if refusal:
            form.is_valid()
            form.add_error(None, refusal)
            return _render_detail(request, event, guest_form=form, status=400)
        if not form.is_valid():
            return _render_detail(request, event, guest_form=form, status=400)
        if form.is_spam:
            return redirect("events:guest_registered", pk=event.pk)
        try:
            rate_limit.hit(
                "events:guest",
                client_ip(request),
                limit=services.GUEST_RATE_LIMIT,
                window=services.GUEST_RATE_WINDOW,
            )
            services.register_guest(
                event=event,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
            )
        except RateLimited:
            form.add_error(
                None,
                _(
                    "Plusieurs inscriptions ont été envoyées depuis cette connexion en peu de temps. "
                    "Merci de réessayer dans quelques minutes."
                ),
            )
            return _render_detail(request, event, guest_form=form, status=429)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
            return _render_detail(request, event, guest_form=form, status=400)
    return redirect("events:guest_registered", pk=event.pk)


@public
@_login_on_hidden
def guest_registered(request, pk: int):
    event = _visible_event(request, pk)
    return render(request, "events/guest_registered.html", {"event": event})


def _guest_registration(token: str, action: str) -> Registration:
    registration = mails.registration_from_token(token, action)
    if registration is None:
        raise Http404
    return registration


@public
@require_http_methods(["GET", "POST"])
def guest_confirm(request, token: str):
    """The confirmation link of a guest's e-mail: shows the registration; its button records that
    the address is theirs (a POST: a mail scanner opening the link confirms nothing)."""
    registration = _guest_registration(token, "confirm")
    if request.method == "POST":
        if services.confirm_guest(registration):
            messages.success(request, _("Merci, votre adresse e-mail est confirmée."))
        return redirect("events:guest_confirm", token=token)
    return render(
        request,
        "events/guest_registration.html",
        {
            "registration": registration,
            "event": registration.event,
            "action": "confirm",
            "cancel_path": mails.guest_links(registration)["cancel"],
        },
    )


@public
@require_http_methods(["GET", "POST"])
def guest_cancel(request, token: str):
    """The cancellation link of a guest's e-mail: asks, then cancels on the button (a POST, once)."""
    registration = _guest_registration(token, "cancel")
    if request.method == "POST":
        if services.cancel_guest_registration(registration):
            messages.success(request, _("Votre inscription est annulée."))
        return redirect("events:guest_cancel", token=token)
    return render(
        request,
        "events/guest_registration.html",
        {"registration": registration, "event": registration.event, "action": "cancel"},
    )


@public
@require_POST
@_login_on_hidden
def event_register(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(f"/evenements/{pk}/")
    event = _visible_event(request, pk)
    try:
        registration = services.register(actor=request.user, event=event)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error.messages[0] if hasattr(error, "messages") else str(error))
    else:
        if registration.status == Registration.Status.PENDING:
            return redirect("events:pay", pk=event.pk)
        if registration.status == Registration.Status.CONFIRMED:
            messages.success(request, _("Votre inscription est confirmée."))
        else:
            messages.success(
                request,
                _(
                    "L'événement est complet : vous êtes sur la liste d'attente et serez prévenu(e) par e-mail si une place se libère."
                ),
            )
    return redirect("events:detail", pk=event.pk)


@public
@require_POST
@_login_on_hidden
def event_cancel(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(f"/evenements/{pk}/")
    event = _visible_event(request, pk)
    registration = selectors.get_registration(event, request.user)
    if registration is not None:
        paid = registration.payments.filter(status="succeeded").exists()
        try:
            services.cancel_registration(actor=request.user, registration=registration)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _(
                    "Votre inscription est annulée ; vous allez être remboursé(e) et recevoir un avoir par e-mail."
                )
                if paid
                else _("Votre inscription est annulée."),
            )
    return redirect("events:detail", pk=event.pk)


@public
@_login_on_hidden
def event_pay(request, pk: int):
    """Card payment of the seat held for the visitor on a paid event (same form as dues)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    event = _visible_event(request, pk)
    registration = selectors.get_registration(event, request.user)
    if registration is None or registration.status != Registration.Status.PENDING:
        if registration is not None and registration.status == Registration.Status.CONFIRMED:
            messages.info(request, _("Votre inscription est confirmée."))
        else:
            messages.info(request, _("Aucune place n'est réservée à votre nom : inscrivez-vous d'abord."))
        return redirect("events:detail", pk=event.pk)
    context = {"event": event, "registration": registration, "card_available": False}
    try:
        payment = card.start_card_payment(actor=request.user, registration=registration)
    except card.PaymentInProgress as in_progress:
        return redirect("events:payment_status", payment_id=in_progress.payment.pk)
    except card.CardPaymentUnavailable as refusal:
        messages.error(request, str(refusal))
        return redirect("events:detail", pk=event.pk)
    except stripe.StripeError:
        logger.exception("could not open a PaymentIntent for registration %s", registration.pk)
        messages.error(
            request, _("Le paiement par carte est momentanément indisponible : réessayez plus tard.")
        )
        payment = None
    if payment is not None:
        context.update(
            card_form_context(
                payment, confirm_route="events:confirm_payment", status_route="events:payment_status"
            )
        )
    return render(request, "events/pay.html", context)


# JSON for the card form of a paid event (same view as the dues' one, on the event's payments).
event_confirm_payment = card_confirm_view(
    selectors.access_registration_payment,
    confirm_route="events:confirm_payment",
    status_route="events:payment_status",
)


@authenticated
def event_payment_status(request, payment_id: int):
    payment = selectors.access_registration_payment(request.user, payment_id)
    template = "events/_payment_status.html" if request.htmx else "events/payment_status.html"
    state = payment_page_state(payment)  # reads Stripe for a pending attempt, may sync it
    registration = payment.registration
    registration.refresh_from_db()
    return render(
        request,
        template,
        {"payment": payment, "registration": registration, "event": registration.event, **state},
    )


@public
@_login_on_hidden
def event_ics(request, pk: int):
    event = _visible_event(request, pk)
    body = build_calendar([event], community=request.tenant, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(event.title) or "evenement"}.ics"'
    return response


@public
def calendar_feed(request):
    """The CPTS's public events as an iCal feed anyone can subscribe to."""
    body = build_calendar(
        selectors.list_feed_events(), community=request.tenant, base_url=request.build_absolute_uri("/")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="evenements.ics"'
    return response


@public
def personal_feed(request, token: str):
    """A member's personal feed (public and members-only events), reached by a secret link."""
    membership = selectors.get_member_by_calendar_token(token)
    if membership is None:
        raise Http404
    body = build_calendar(
        selectors.list_member_feed_events(membership),
        community=request.tenant,
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mon-agenda.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required(Role.MEMBER)
def personal_feed_link(request):
    token = services.issue_calendar_token(actor=request.user)
    url = request.build_absolute_uri(reverse("events:personal_feed", args=[token]))
    messages.success(
        request,
        _(
            "Votre lien d'agenda personnel (gardez-le pour vous ; en demander un nouveau désactive l'ancien) : %(url)s"
        )
        % {"url": url},
    )
    return redirect("events:list")


@role_required(Role.TEAM)
def event_create(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.create_event(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("L'événement « %(title)s » est créé.") % {"title": event.title})
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/form.html", {"form": form, "event": None})


@role_required(Role.TEAM)
def event_edit(request, pk: int):
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        raise Http404
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(actor=request.user, event=event, data=form.cleaned_data)
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("L'événement est mis à jour."))
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/form.html", {"form": form, "event": event})


@role_required(Role.TEAM)
def event_registrations(request, pk: int):
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        raise Http404
    registrations = list(selectors.list_registrations(event))
    for registration in registrations:
        registration.payment_label = selectors.payment_label(registration)
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    form = AttendanceForm(request.POST or None, registrations=confirmed)
    if request.method == "POST" and form.is_valid():
        present = services.record_attendance(
            actor=request.user, event=event, present=set(form.cleaned_data["present"])
        )
        messages.success(request, _("Présences enregistrées : %(count)d.") % {"count": present})
        return redirect("events:registrations", pk=event.pk)
    return render(
        request,
        "events/registrations.html",
        {
            "event": event,
            "form": form,
            "confirmed": confirmed,
            "pending": [r for r in registrations if r.status == Registration.Status.PENDING],
            "waiting": [r for r in registrations if r.status == Registration.Status.WAITLISTED],
            "cancelled": [
                r
                for r in registrations
                if r.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED)
            ],
        },
    )


@require_POST
@role_required(Role.TEAM)
def event_cancel_registration(request, pk: int, registration_id: int):
    """The team cancels someone's registration (a paid one is refunded through Stripe first)."""
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        raise Http404
    registration = Registration.objects.filter(pk=registration_id, event=event).select_related("user").first()
    if registration is None:
        raise Http404
    paid = registration.payments.filter(status="succeeded").exists()
    try:
        services.cancel_registration(actor=request.user, registration=registration)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        name = registration.display_name
        messages.success(
            request,
            (_("Inscription de %(name)s annulée et remboursée ; un avoir lui est envoyé.") if paid
             else _("Inscription de %(name)s annulée.")) % {"name": name},
        )  # fmt: skip
    return redirect("events:registrations", pk=event.pk)


def _spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (names are typed by people)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@role_required(Role.TEAM)
def event_export(request, pk: int):
    """Attendance list as CSV (semicolons, UTF-8 with BOM: opens as-is in French spreadsheets)."""
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        raise Http404
    # A list of people leaves the platform: who took it is traced (docs/audit.md).
    record(request.user, "events.registrations_exported", event)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="inscrits-{slugify(event.title) or event.pk}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    # A paid event adds the payment of each registration (Payé 15,00 €, Remboursé…, En attente…).
    paid = event.is_paid or event.registrations.filter(payments__isnull=False).exists()
    header = [_("Nom"), _("Prénom"), _("E-mail"), _("Statut"), _("Inscrit le"), _("Présent")]
    writer.writerow([*header, _("Paiement")] if paid else header)
    attended_labels = {True: _("oui"), False: _("non"), None: ""}
    for registration in selectors.list_registrations(event):
        row = [
            _spreadsheet_safe(registration.last_name),
            _spreadsheet_safe(registration.first_name),
            _spreadsheet_safe(registration.email),
            registration.get_status_display(),
            timezone.localtime(registration.created_at).strftime("%d/%m/%Y %H:%M"),
            attended_labels[registration.attended],
        ]
        writer.writerow([*row, selectors.payment_label(registration)] if paid else row)
    return response
