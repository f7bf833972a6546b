"""Everything the platform holds about one person, across all their CPTS, as one zip.

The rows are found through the foreign keys to the account, in the public schema and in every CPTS
schema holding something about the person (linked to the account, or holding one of its own rows:
a registration to another CPTS's public event counts). A foreign key says either that the row is
*about* the person (``PERSONAL``: their membership, registration, preferences…) — exported whole —
or only that the person *acted* on it (created, recorded, decided, was proposed a patient): such a
row is someone else's data, above all the desk's patients, and is listed by id only. A foreign key
added later is treated as an action until it is classified (fail closed);
``tests/compliance/test_personal_data_scope.py`` fails on any unclassified one. Secrets (password
hash, tokens, TOTP keys) are left out; files referenced by the person's own rows (and the PDFs of
their receipts) are added under ``fichiers/``.
"""

from __future__ import annotations

import io
import json
import operator
import zipfile
from collections.abc import Iterator
from functools import reduce

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Exists, FileField, Model
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from apps.professionals.models import AccountCommunity
from tenants.models import Community

# Field names never exported: credentials, not information about the person.
SECRET_FIELDS = {
    "password",
    "token_hash",
    "key",
    "secret",
    "bin_key",
    "throttling_failure_timestamp",
    "feed_token",
}
# Models whose rows are credentials as a whole.
SECRET_MODELS = {"authtoken.token", "authtoken.tokenproxy", "sessions.session"}
# The person's own rows whose dependants are theirs too (their dues, their payments, receipts).
# Other rows pointing at the account (a working group they created, say) are exported, not
# followed: what hangs from them belongs to other people.
FOLLOW = {"members.membership", "dues.dues", "events.registration", "payments.payment"}
ACCOUNT_FIELDS = ("email", "first_name", "last_name", "date_joined", "last_login", "is_active")
# The foreign keys that make a row the person's own: {model label: field names}.
PERSONAL: dict[str, set[str]] = {
    "professionals.professionalprofile": {"user"},
    "professionals.accountcommunity": {"user"},
    "compliance.erasurerequest": {"user"},
    "compliance.dataexport": {"requested_by"},
    "otp_totp.totpdevice": {"user"},
    "otp_static.staticdevice": {"user"},
    "members.membership": {"user"},
    "members.rolechange": {"user"},
    "members.invitation": {"accepted_by"},
    "events.registration": {"user"},
    "events.calendartoken": {"user"},
    "working_groups.groupmember": {"user"},
    "working_groups.attendance": {"user"},
    "working_groups.meetinginvitation": {"user"},
    "directory.entry": {"claimed_by"},
    "directory.listingrequest": {"requested_by"},
    "notifications.preference": {"user"},
    "notifications.notification": {"user"},
    "roster.slot": {"professional"},
    "roster.rosterprofile": {"professional"},
    "roster.gaprequestrecipient": {"professional"},
    "campaigns.recipient": {"user"},
    "mailing.digestdelivery": {"user"},
    "mailing.digestoptout": {"user"},
    "access_care.deskpermission": {"user"},
    "access_care.gpcapacity": {"gp"},
}
# The foreign keys that only name the person as the one who acted: {model label: field names}.
# The desk's requests, proposals and status changes are the patients' health data: a GP or a team
# member reads them on the desk's pages (permission, second factor, access log), never here.
ACTED: dict[str, set[str]] = {
    "tenants.community": {"created_by"},
    "audit.auditevent": {"actor"},
    "members.invitation": {"invited_by"},
    "members.securitypolicy": {"changed_by"},
    "members.rolechange": {"changed_by"},
    "events.event": {"created_by"},
    "working_groups.workinggroup": {"lead"},
    "working_groups.meeting": {"created_by"},
    "working_groups.groupdocument": {"uploaded_by"},
    "health_projects.projectversion": {"created_by"},
    "health_projects.action": {"owner"},
    "aci.spending": {"recorded_by"},
    "aci.indicatorvalue": {"entered_by"},
    "aci.evidence": {"uploaded_by"},
    "aci.annualreport": {"requested_by"},
    "site.newsitem": {"author"},
    "site.siteimage": {"uploaded_by"},
    "payments.payment": {"recorded_by"},
    "territory.territorycommune": {"added_by"},
    "directory.importrun": {"created_by"},
    "directory.listingrequest": {"decided_by"},
    "onboarding.completedstep": {"completed_by"},
    "roster.gaprequest": {"requested_by"},
    "campaigns.campaign": {"created_by", "scheduled_by"},
    "access_care.deskpermission": {"granted_by"},
    "access_care.patientrequest": {"created_by", "found_gp"},
    "access_care.statuschange": {"by"},
    "access_care.proposal": {"gp", "created_by"},
}


def _app_labels(names: list[str]) -> set[str]:
    by_name = {config.name: config.label for config in django_apps.get_app_configs()}
    return {by_name[name] for name in names if name in by_name}


def _pointing_at(labels: set[str], target: type[Model]) -> Iterator[tuple[type[Model], str]]:
    """(model, field name) for every foreign key to ``target`` in the apps ``labels``."""
    for model in django_apps.get_models():
        if model._meta.app_label not in labels or model._meta.label_lower in SECRET_MODELS:
            continue
        for field in model._meta.fields:
            if field.is_relation and field.related_model is target and model is not target:
                yield model, field.name


def is_personal(model: type[Model], field: str) -> bool:
    """Whether ``model.field`` pointing at an account makes the row that person's own."""
    return field in PERSONAL.get(model._meta.label_lower, set())


def _rows(labels: set[str], user) -> tuple[dict[str, list[dict]], list[Model]]:
    """{model label: [fields…]} of the person's own rows — found through ``PERSONAL`` keys and,
    through the rows followed (``FOLLOW``), their dependants (dues → payments → receipts) — and the
    rows; plus, under ``"actions"``, {model label: [ids]} of the rows the person only acted on."""
    found: dict[str, list[dict]] = {}
    instances: list[Model] = []
    user_model = get_user_model()
    frontier: list[tuple[type[Model], list[int]]] = [(user_model, [user.pk])]
    seen: set[tuple[str, int]] = set()
    while frontier:
        target, ids = frontier.pop(0)
        for model, field in _pointing_at(labels, target):
            if target is user_model and not is_personal(model, field):
                acted = model._default_manager.filter(**{field: user.pk}).order_by("pk")
                pks = list(acted.values_list("pk", flat=True))
                if pks:
                    actions = found.setdefault("actions", {})
                    actions.setdefault(model._meta.label_lower, []).extend(pks)
                continue
            rows = [
                row for row in model._default_manager.filter(**{f"{field}__in": ids}).order_by("pk")
                if (model._meta.label_lower, row.pk) not in seen
            ]  # fmt: skip
            if not rows:
                continue
            seen.update((model._meta.label_lower, row.pk) for row in rows)
            instances.extend(rows)
            for item in serializers.serialize("python", rows):
                fields = {k: v for k, v in item["fields"].items() if k not in SECRET_FIELDS}
                found.setdefault(item["model"], []).append({"id": item["pk"], **fields})
            if model._meta.label_lower in FOLLOW:
                frontier.append((model, [row.pk for row in rows]))
    return found, instances


def _files(instances: list[Model]) -> list[str]:
    names = []
    for row in instances:
        for field in row._meta.fields:
            if isinstance(field, FileField):
                value = getattr(row, field.name)
                if value and value.name and default_storage.exists(value.name):
                    names.append(value.name)
    return names


def collect(user) -> tuple[dict, dict[str, list[str]]]:
    """(the JSON document, {schema: file names}) of what is held about ``user``."""
    shared = _app_labels(settings.SHARED_APPS)
    tenant = _app_labels(settings.TENANT_APPS)
    previous = connection.tenant
    connection.set_schema_to_public()
    try:
        account = get_user_model().objects.get(pk=user.pk)
        public_rows, public_instances = _rows(shared, account)
        document = {
            "généré_le": timezone.now().isoformat(),
            "compte": {name: getattr(account, name) for name in ACCOUNT_FIELDS},
            "plateforme": public_rows,
            "cpts": {},
        }
        files = {"public": _files(public_instances)}
        communities = communities_holding(account, tenant)
        for community in communities:
            with schema_context(community.schema_name):
                rows, instances = _rows(tenant, account)
                document["cpts"][community.schema_name] = {"nom": community.name, "données": rows}
                files[community.schema_name] = _files(instances)
    finally:
        connection.set_tenant(previous)
    return document, files


def _holds_something(labels: set[str], user_id: int) -> bool:
    """Whether the current schema holds a row about account ``user_id`` — one query."""
    user_model = get_user_model()
    held = [
        Exists(model._base_manager.filter(**{field: user_id}))
        for model, field in _pointing_at(labels, user_model)
        if is_personal(model, field)
    ]
    if not held:
        return False
    return user_model._base_manager.filter(pk=user_id).filter(reduce(operator.or_, held)).exists()


def communities_holding(user, labels: set[str] | None = None) -> list[Community]:
    """The CPTS holding something about ``user``: those linked to the account and those where one
    of its own rows lives without a link (a public event of another CPTS, say) — one query per
    CPTS not linked. Leaves the connection on the public schema."""
    labels = _app_labels(settings.TENANT_APPS) if labels is None else labels
    linked = set(AccountCommunity.objects.filter(user_id=user.pk).values_list("community_id", flat=True))
    holding = []
    for community in Community.objects.exclude(schema_name=get_public_schema_name()).order_by("name"):
        if community.pk in linked:
            holding.append(community)
            continue
        with schema_context(community.schema_name):
            if _holds_something(labels, user.pk):
                holding.append(community)
    connection.set_schema_to_public()
    return holding


def build_archive(user) -> bytes:
    """The zip: ``donnees.json`` and ``fichiers/<cpts>/<path>``. Files are read in their own CPTS
    (storage is prefixed per CPTS)."""
    document, files = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        archive.writestr("donnees.json", text)
        for schema, names in files.items():
            with schema_context(get_public_schema_name() if schema == "public" else schema):
                for name in names:
                    with default_storage.open(name, "rb") as handle:
                        archive.writestr(f"fichiers/{schema}/{name}", handle.read())
    return buffer.getvalue()
