"""Opening a new CPTS: the one service behind the command, the operator console and the API.

Everything happens in one database transaction: PostgreSQL DDL is transactional, so a failure at
any step (clone, domain, first admin's invitation) leaves no schema, no domain and no row behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from . import audit
from .models import Community, Domain

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
# Sub-domains we keep for the platform, and PostgreSQL's own schema names.
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "static", "media", "app", "mail", "smtp", "ftp", "blog", "help", "aide",
        "support", "status", "docs", "dev", "test", "staging", "demo-template", "public", "operateur",
        "operator", "console", "dashboard", "login", "auth", "cdn", "assets", "ws", "webhooks", "stripe",
        "information-schema", "plateforme", "platform", "template", "cpts-template", "root", "postgres",
    }
)  # fmt: skip


@dataclass(frozen=True)
class CommunityRequest:
    slug: str
    name: str
    admin_email: str
    territory_summary: str = ""


def validate_community_request(request: CommunityRequest) -> CommunityRequest:
    """Normalise and check a request; raises ValidationError with French messages per field."""
    slug = (request.slug or "").strip().lower()
    name = (request.name or "").strip()
    email = (request.admin_email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not SLUG_RE.match(slug) or "--" in slug:
        errors.setdefault("slug", []).append(
            _(
                "L'identifiant doit faire de 3 à 40 caractères : lettres minuscules sans accent, chiffres "
                "et tirets, commençant par une lettre et ne finissant pas par un tiret."
            )
        )
    elif slug in RESERVED_SLUGS or slug.startswith("pg-") or slug == settings.TENANT_BASE_SCHEMA:
        errors.setdefault("slug", []).append(_("L'identifiant « %(slug)s » est réservé.") % {"slug": slug})
    elif Community.objects.filter(schema_name__iexact=slug).exists():
        errors.setdefault("slug", []).append(
            _("Une CPTS utilise déjà l'identifiant « %(slug)s ».") % {"slug": slug}
        )
    elif Domain.objects.filter(domain__iexact=domain_for(slug)).exists():
        errors.setdefault("slug", []).append(
            _("Le domaine %(domain)s est déjà attribué.") % {"domain": domain_for(slug)}
        )
    if not name:
        errors.setdefault("name", []).append(_("Le nom de la CPTS est obligatoire."))
    elif len(name) > 200:
        errors.setdefault("name", []).append(_("Le nom ne doit pas dépasser 200 caractères."))
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("admin_email", []).append(_("Saisissez une adresse e-mail valide."))
    if errors:
        raise ValidationError(errors)
    return CommunityRequest(
        slug=slug, name=name, admin_email=email, territory_summary=request.territory_summary
    )


# What an app adds to every new CPTS, inside the provisioning transaction and in the new CPTS's
# schema (the members app invites the first administrator). Apps register here, in their
# ``AppConfig.ready``: this layer imports no app.
_steps: list[Callable[..., None]] = []


def register_provisioning_step(step: Callable[..., None]) -> None:
    """``step(actor=..., request=CommunityRequest)`` will run for every CPTS opened from now on."""
    if step not in _steps:
        _steps.append(step)


def slug_from_name(name: str) -> str:
    """The sub-domain a name suggests: « CPTS du Scorff » → ``cpts-du-scorff`` (ASCII, hyphens, at
    most 40 characters, no hyphen at either end). Still checked by ``validate_community_request``."""
    return slugify(name or "")[:40].strip("-")


def domain_for(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def provision_community(*, actor, request: CommunityRequest) -> Community:
    """Create a CPTS by cloning the template schema, give it its sub-domain, invite its first admin.

    Raises ValidationError (nothing created) on bad input. The invitation e-mail is sent by a
    worker once the transaction has committed.
    """
    if not _steps:
        raise RuntimeError("no provisioning step is registered: a new CPTS would have no administrator")
    clean = validate_community_request(request)
    connection.set_schema_to_public()
    with transaction.atomic():
        community = Community(
            schema_name=clean.slug,
            name=clean.name,
            territory_summary=clean.territory_summary,
            created_by=actor,
            status=Community.Status.PROVISIONING,
        )
        community.save(verbosity=0)  # clones settings.TENANT_BASE_SCHEMA
        Domain.objects.create(domain=domain_for(clean.slug), tenant=community, is_primary=True)
        with schema_context(community.schema_name):
            for step in _steps:
                step(actor=actor, request=clean)
        community.status = Community.Status.ACTIVE
        community.save(update_fields=["status"])
        audit.record(actor, "platform.community_opened", community, slug=community.schema_name)
    return community


# Status changes an operator may make from the console (provisioning is the service's own state).
ALLOWED_STATUS_CHANGES = {
    Community.Status.ACTIVE: {Community.Status.SUSPENDED},
    Community.Status.SUSPENDED: {Community.Status.ACTIVE, Community.Status.CLOSED},
    Community.Status.CLOSED: {Community.Status.ACTIVE},
}


def set_community_status(*, actor, community: Community, status: str) -> Community:
    """Suspend (site answers 503), close (404) or reactivate a CPTS. Data is never deleted here.

    Raises ValidationError for a change that is not allowed from the current status.
    """
    if status not in ALLOWED_STATUS_CHANGES.get(community.status, set()):
        raise ValidationError(_("Ce changement de statut n'est pas possible pour cette CPTS."))
    connection.set_schema_to_public()
    with transaction.atomic():
        previous = community.status
        Community.objects.filter(pk=community.pk).update(status=status)
        community.status = status
        audit.record(actor, "platform.community_status_changed", community, before=previous, after=status)
    return community


HOSTNAME_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def add_custom_domain(*, actor, community: Community, domain: str) -> Domain:
    """Attach a custom host name (e.g. www.cpts-du-lac.fr) to a CPTS; its DNS must point at the
    platform. Raises ValidationError (French) for a malformed, platform or already used name."""
    name = (domain or "").strip().lower().rstrip(".")
    if name.startswith(("http://", "https://")) or not HOSTNAME_RE.match(name):
        raise ValidationError(_("Saisissez un nom de domaine valide, par exemple www.cpts-du-lac.fr."))
    platform = settings.PLATFORM_DOMAIN
    if name == platform or name.endswith(f".{platform}"):
        raise ValidationError(
            _("Les adresses en .%(platform)s sont attribuées par la plateforme.") % {"platform": platform}
        )
    # The tenant middleware drops a leading "www." from the host: store the bare name, which
    # then answers for both forms.
    name = name.removeprefix("www.")
    if Domain.objects.filter(domain__iexact=name).exists():
        raise ValidationError(_("Le domaine %(domain)s est déjà attribué.") % {"domain": name})
    connection.set_schema_to_public()
    with transaction.atomic():
        added = Domain.objects.create(domain=name, tenant=community, is_primary=False)
        audit.record(actor, "platform.domain_added", community, domain=name)
    return added


def remove_custom_domain(*, actor, community: Community, domain_id: int) -> None:
    """Detach a custom domain; the platform sub-domain (primary) cannot be removed."""
    connection.set_schema_to_public()
    with transaction.atomic():
        domain = Domain.objects.filter(pk=domain_id, tenant=community, is_primary=False).first()
        if domain is None:
            raise ValidationError(_("Ce domaine ne peut pas être retiré."))
        domain.delete()
        audit.record(actor, "platform.domain_removed", community, domain=domain.domain)
