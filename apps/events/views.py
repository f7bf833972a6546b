import csv

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.members.models import Role
from apps.members.permissions import role_required

from . import selectors, services
from .forms import AttendanceForm, EventForm
from .ical import build_calendar
from .models import Registration


def _visible_event(request, pk: int):
    """The event if this visitor may see it. Anonymous visitors asking for anything they cannot see
    are sent to the login page whether or not it exists; signed-in outsiders get 404."""
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        if not request.user.is_authenticated:
            raise _LoginRequired
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

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


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


@_login_on_hidden
def event_detail(request, pk: int):
    event = _visible_event(request, pk)
    registration = selectors.get_registration(event, request.user)
    if registration is not None and registration.status == Registration.Status.CANCELLED:
        registration = None
    membership = request.membership
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": registration,
            "places_left": None if event.capacity is None else max(0, event.capacity - event.confirmed_count),
            "is_team": membership is not None and membership.has_role(Role.TEAM),
        },
    )


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


@require_POST
@_login_on_hidden
def event_cancel(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(f"/evenements/{pk}/")
    event = _visible_event(request, pk)
    registration = selectors.get_registration(event, request.user)
    if registration is not None:
        services.cancel_registration(actor=request.user, registration=registration)
        messages.success(request, _("Votre inscription est annulée."))
    return redirect("events:detail", pk=event.pk)


@_login_on_hidden
def event_ics(request, pk: int):
    event = _visible_event(request, pk)
    body = build_calendar([event], community=request.tenant, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(event.title) or "evenement"}.ics"'
    return response


def calendar_feed(request):
    """The CPTS's public events as an iCal feed anyone can subscribe to."""
    body = build_calendar(
        selectors.list_feed_events(), community=request.tenant, base_url=request.build_absolute_uri("/")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="evenements.ics"'
    return response


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
        event = services.create_event(actor=request.user, data=form.cleaned_data)
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
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
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
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    form = AttendanceForm(request.POST or None, registrations=confirmed)
    if request.method == "POST" and form.is_valid():
        present = services.record_attendance(
            actor=request.user, event=event, present_user_ids={int(v) for v in form.cleaned_data["present"]}
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
            "waiting": [r for r in registrations if r.status == Registration.Status.WAITLISTED],
            "cancelled": [r for r in registrations if r.status == Registration.Status.CANCELLED],
        },
    )


def _spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (names are typed by people)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@role_required(Role.TEAM)
def event_export(request, pk: int):
    """Attendance list as CSV (semicolons, UTF-8 with BOM: opens as-is in French spreadsheets)."""
    event = selectors.get_event_for(request.membership, pk)
    if event is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="inscrits-{slugify(event.title) or event.pk}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Nom"), _("Prénom"), _("E-mail"), _("Statut"), _("Inscrit le"), _("Présent")])
    attended_labels = {True: _("oui"), False: _("non"), None: ""}
    for registration in selectors.list_registrations(event):
        user = registration.user
        writer.writerow(
            [
                _spreadsheet_safe(user.last_name),
                _spreadsheet_safe(user.first_name),
                _spreadsheet_safe(user.email),
                registration.get_status_display(),
                timezone.localtime(registration.created_at).strftime("%d/%m/%Y %H:%M"),
                attended_labels[registration.attended],
            ]
        )
    return response
