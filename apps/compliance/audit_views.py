"""The audit log's pages: a CPTS's admins read their CPTS's log (team space), the operator reads
the platform's (console). Both filter, page, and export the filtered lines as CSV; an export is
itself a line of the log."""

from __future__ import annotations

import csv

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.audit.actions import label_of
from apps.audit.log import list_events, record
from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.views import operator_required

from .forms import AuditFilterForm

PAGE_SIZE = 50
ACCOUNT = "accounts.user"


def _actor_name(event, accounts: dict) -> str:
    if event.by_platform:
        return _("Plateforme (automatique)")
    account = accounts.get(event.actor_id) if event.actor_id else None
    if account is None:
        return "—"
    return account.get_full_name() or account.email


def _target_name(event, accounts: dict) -> str:
    if event.target_type == ACCOUNT:
        account = accounts.get(int(event.target_id))
        return (account.get_full_name() or account.email) if account else "—"
    return event.target_label


def _rows(events) -> list[dict]:
    """Lines for display, with account names read in one query."""
    events = list(events)
    ids = {e.actor_id for e in events if e.actor_id}
    ids |= {int(e.target_id) for e in events if e.target_type == ACCOUNT and e.target_id.isdigit()}
    accounts = get_user_model().objects.in_bulk(list(ids))
    return [
        {
            "at": e.at,
            "action": label_of(e.action),
            "code": e.action,
            "actor": _actor_name(e, accounts),
            "target": _target_name(e, accounts),
            "details": e.details,
        }
        for e in events
    ]


def _page(request, *, title: str, export_action: str, template_context: dict):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        events = list_events().none()
    else:
        events = list_events(**filters)
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        record(request.user, export_action, None, filters={k: str(v) for k, v in filters.items() if v})
        return _csv(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compliance/audit_log.html",
        {"form": form, "page": page, "rows": _rows(page.object_list), "title": title,
         "query": query.urlencode(), **template_context},
    )  # fmt: skip


def _csv(events) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with the BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Date"), _("Action"), _("Code"), _("Auteur"), _("Objet"), _("Détails")])
    for row in _rows(events.iterator()):
        details = ", ".join(f"{k}={v}" for k, v in sorted(row["details"].items()))
        writer.writerow([timezone.localtime(row["at"]).strftime("%d/%m/%Y %H:%M:%S"), row["action"], row["code"],
                         row["actor"], row["target"], details])  # fmt: skip
    return response


@require_GET
@role_required(Role.ADMIN)
def team_audit_log(request):
    """This CPTS's log, for its admins."""
    return _page(request, title=_("Journal d'audit"), export_action="audit.exported",
                 template_context={"back_url": "members:team_space"})  # fmt: skip


@require_GET
@operator_required
def platform_audit_log(request):
    """The platform's log (operators' actions), for operators."""
    return _page(request, title=_("Journal de la plateforme"), export_action="platform.audit_exported",
                 template_context={"back_url": "console"})  # fmt: skip
