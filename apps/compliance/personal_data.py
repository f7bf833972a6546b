"""Everything the platform holds about one person, across all their CPTS, as one zip.

The rows are found generically: every model with a foreign key to the account, in the public
schema and in each CPTS schema the account is linked to (``apps.professionals`` index), so a table
added later is exported without touching this module. Secrets (password hash, tokens, TOTP keys)
are left out; files referenced by those rows (and the PDFs of their receipts) are added under
``fichiers/``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import FileField, Model
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from apps.professionals.models import AccountCommunity
from tenants.models import Community

# Field names never exported: credentials, not information about the person.
SECRET_FIELDS = {"password", "token_hash", "key", "secret", "bin_key", "throttling_failure_timestamp"}
# Models whose rows are credentials as a whole.
SECRET_MODELS = {"authtoken.token", "authtoken.tokenproxy", "sessions.session"}
# The person's own rows whose dependants are theirs too (their dues, their payments, receipts).
# Other rows pointing at the account (a working group they created, say) are exported, not
# followed: what hangs from them belongs to other people.
FOLLOW = {"members.membership", "dues.dues", "events.registration", "payments.payment"}
ACCOUNT_FIELDS = ("email", "first_name", "last_name", "date_joined", "last_login", "is_active")


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


def _rows(labels: set[str], user) -> tuple[dict[str, list[dict]], list[Model]]:
    """{model label: [fields…]} of the rows pointing at ``user`` — and, through the rows that are
    the person's own (``FOLLOW``), at those rows (dues → payments → receipts) — and the rows."""
    found: dict[str, list[dict]] = {}
    instances: list[Model] = []
    frontier: list[tuple[type[Model], list[int]]] = [(get_user_model(), [user.pk])]
    seen: set[tuple[str, int]] = set()
    while frontier:
        target, ids = frontier.pop(0)
        for model, field in _pointing_at(labels, target):
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
        links = AccountCommunity.objects.filter(user_id=account.pk).values_list("community_id", flat=True)
        communities = list(Community.objects.filter(pk__in=list(links)).order_by("name"))
        for community in communities:
            with schema_context(community.schema_name):
                rows, instances = _rows(tenant, account)
                document["cpts"][community.schema_name] = {"nom": community.name, "données": rows}
                files[community.schema_name] = _files(instances)
    finally:
        connection.set_tenant(previous)
    return document, files


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
