"""Writes of the first steps. Each checks its actor is an administrator of the current CPTS
(``require_role``) and records its step as done in the same transaction; they reuse the services
of the apps that own the data (site, territory, dues, stripe_gateway)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.dues.models import Tier, validate_tier_price
from apps.geo.selectors import get_epci
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.site.models import NewsItem, SiteSettings
from apps.site.services import save_news_item, update_branding
from apps.territory.models import TerritoryCommune
from apps.territory.services import add_canton, add_communes, remove_commune
from tenants.queue import enqueue_on_commit

from .models import CompletedStep
from .selectors import STEP_KEYS


def complete_step(*, actor, step: str) -> CompletedStep:
    """Record ``step`` as done (once; doing it again keeps the first date)."""
    require_role(actor, Role.ADMIN)
    if step not in STEP_KEYS:
        raise ValueError(f"unknown first step {step!r}")
    row, _created = CompletedStep.objects.get_or_create(step=step, defaults={"completed_by": actor})
    return row


def save_identity(*, actor, site: SiteSettings, logo=None) -> SiteSettings:
    """The identity step: the site's branding (validated by its form), the logo resized."""
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        site = update_branding(actor=actor, site=site, logo=logo)
        complete_step(actor=actor, step="identity")
    return site


def add_to_territory(*, actor, codes: list[str], epci: str = "", canton: str | None = None) -> int:
    """Add communes by INSEE code and, with ``epci``, every member commune of that EPCI, and with
    ``canton`` (a code or an exact name), every current commune of that canton. Returns how many
    were added. Raises ValidationError (French) for an unknown code or EPCI, for an unknown or
    ambiguous canton, and for an empty ``canton`` (given but blank); nothing is added then."""
    require_role(actor, Role.ADMIN)
    wanted = [code for code in codes if code]
    if epci:
        group = get_epci(epci)
        if group is None:
            raise ValidationError(_("Intercommunalité inconnue."))
        wanted += group.members
    if canton is not None and not canton.strip():
        raise ValidationError(_("Indiquez un canton : son code (ex. 4521) ou son nom exact."))
    if not wanted and canton is None:
        raise ValidationError(
            _("Cochez au moins une commune, ou choisissez une intercommunalité ou un canton.")
        )
    with transaction.atomic():
        added = len(add_canton(actor=actor, value=canton)[1]) if canton is not None else 0
        if wanted:
            added += len(add_communes(actor=actor, codes=wanted))
    return added


def remove_from_territory(*, actor, code: str) -> bool:
    require_role(actor, Role.ADMIN)
    return remove_commune(actor=actor, code=code)


def finish_territory(*, actor) -> None:
    """Close the territory step and fill the directory from the national extracts the platform
    holds, in a worker once committed (``directory.import_held_extracts``)."""
    require_role(actor, Role.ADMIN)
    if not TerritoryCommune.objects.exists():
        raise ValidationError(_("Ajoutez au moins une commune à votre territoire."))
    with transaction.atomic():
        complete_step(actor=actor, step="territory")
        enqueue_on_commit("directory.import_held_extracts", connection.schema_name, actor.pk)


def save_tiers(*, actor, prices: dict[int, tuple[str, Decimal]]) -> list[Tier]:
    """The tiers step: new names and amounts of the offered tiers (``tier id → (name, price)``).
    Raises ValidationError keyed by tier id when a name is empty or a price not allowed."""
    require_role(actor, Role.ADMIN)
    tiers = {tier.pk: tier for tier in Tier.objects.filter(pk__in=list(prices), is_active=True)}
    errors: dict[str, list[str]] = {}
    for pk, (name, price) in prices.items():
        if pk not in tiers:
            errors.setdefault(str(pk), []).append(_("Formule inconnue."))
            continue
        if not name.strip():
            errors.setdefault(str(pk), []).append(_("Donnez un nom à la formule."))
        try:
            validate_tier_price(price)
        except ValidationError as error:
            errors.setdefault(str(pk), []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for pk, (name, price) in prices.items():
            tier = tiers[pk]
            tier.name, tier.price = name.strip(), price
            tier.save(update_fields=["name", "price"])
        complete_step(actor=actor, step="tiers")
    return list(tiers.values())


def publish_first_news(*, actor, title: str, body: str) -> NewsItem:
    """The news step: a published news item, dated now (the body is sanitised by the site)."""
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        item = save_news_item(
            actor=actor,
            item=NewsItem(
                title=title, body=body, status=NewsItem.Status.PUBLISHED, publish_at=timezone.now()
            ),
        )
        complete_step(actor=actor, step="news")
    return item
