"""Every write service checks its actor: a person with the role, or the platform itself (``SYSTEM``:
provisioning, demo seeding, national import). A missing actor (None) is refused, never read as the
platform."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_tenants.utils import schema_context

from apps.directory import services as directory
from apps.directory.models import Entry, ImportRun, ListingRequest
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.site import services as site
from apps.site.models import EmergencyNumber, FaqItem, Mission, NewsItem, Page, VisitorMessage
from apps.site.selectors import get_site_settings
from apps.territory import services as territory
from apps.territory.models import TerritoryCommune, TerritorySettings
from tenants.actors import SYSTEM


def _entry() -> Entry:
    return directory.create_entry(
        actor=SYSTEM, fields={"kind": "professional", "family": "liberal", "name": "Hélène Martin"}
    )


def _listing() -> ListingRequest:
    return directory.submit_listing_request(
        data={"kind": "professional", "name": "Paul Durand", "email": "paul@example.test"}
    )


def _faq() -> FaqItem:
    return site.save_faq_item(actor=SYSTEM, item=FaqItem(question="Qui ?", answer="Nous."))


def _news() -> NewsItem:
    return site.save_news_item(actor=SYSTEM, item=NewsItem(title="Une nouvelle", body="<p>Texte</p>"))


def _number() -> EmergencyNumber:
    return site.save_number(
        actor=SYSTEM, number=EmergencyNumber(category="local", label="Maison médicale", number="0477000000")
    )


def _page() -> Page:
    return site.save_page(actor=SYSTEM, page=Page(title="Qui sommes-nous", slug="qui", body="<p>Nous</p>"))


def _message() -> VisitorMessage:
    return VisitorMessage.objects.create(
        kind="contact", name="Anne", email="anne@example.test", body="Bonjour"
    )


# Each write: a function of the actor (or a pair: what to create first, and a function of the actor and
# of that object), and a fingerprint of what the write would change.
WRITES: dict[str, tuple[Callable, Callable]] = {
    "directory.create_entry": (
        lambda actor: directory.create_entry(
            actor=actor, fields={"kind": "professional", "family": "liberal", "name": "Zoé Lefèvre"}
        ),
        lambda: sorted(Entry.objects.values_list("name", flat=True)),
    ),
    "directory.update_entry": (
        (
            _entry,
            lambda actor, entry: directory.update_entry(
                actor=actor, entry=entry, changes={"name": "Renommée"}
            ),
        ),
        lambda: sorted(Entry.objects.values_list("name", flat=True)),
    ),
    "directory.start_import": (
        lambda actor: directory.start_import(actor=actor, rpps_file=SimpleUploadedFile("rpps.txt", b"x")),
        lambda: ImportRun.objects.count(),
    ),
    "directory.decide_listing_request": (
        (
            _listing,
            lambda actor, listing: directory.decide_listing_request(
                actor=actor, listing=listing, accept=False
            ),
        ),
        lambda: sorted(ListingRequest.objects.values_list("status", flat=True)),
    ),
    "territory.add_communes": (
        lambda actor: territory.add_communes(actor=actor, codes=["42218"]),
        lambda: sorted(TerritoryCommune.objects.values_list("commune_id", flat=True)),
    ),
    "territory.remove_commune": (
        lambda actor: territory.remove_commune(actor=actor, code="42207"),
        lambda: sorted(TerritoryCommune.objects.values_list("commune_id", flat=True)),
    ),
    "territory.set_aci_size": (
        lambda actor: territory.set_aci_size(actor=actor, size=3),
        lambda: list(TerritorySettings.objects.values_list("aci_size_override", flat=True)),
    ),
    "site.update_branding": (
        lambda actor: site.update_branding(actor=actor, site=_renamed_site()),
        lambda: get_site_settings().tagline,
    ),
    "site.save_mission": (
        lambda actor: site.save_mission(
            actor=actor, mission=Mission(title="Accès aux soins", body="<p>x</p>")
        ),
        lambda: Mission.objects.count(),
    ),
    "site.save_page": (
        lambda actor: site.save_page(actor=actor, page=Page(title="Contact", slug="contact-2")),
        lambda: Page.objects.count(),
    ),
    "site.delete_page": (
        (_page, lambda actor, page: site.delete_page(actor=actor, page=page)),
        lambda: Page.objects.count(),
    ),
    "site.save_faq_item": (
        lambda actor: site.save_faq_item(actor=actor, item=FaqItem(question="Où ?", answer="Ici.")),
        lambda: FaqItem.objects.count(),
    ),
    "site.delete_faq_item": (
        (_faq, lambda actor, item: site.delete_faq_item(actor=actor, item=item)),
        lambda: FaqItem.objects.count(),
    ),
    "site.move_faq_item": (
        (
            lambda: (_faq(), _faq())[1],
            lambda actor, item: site.move_faq_item(actor=actor, item=item, direction=-1),
        ),
        lambda: list(FaqItem.objects.order_by("pk").values_list("position", flat=True)),
    ),
    "site.save_news_item": (
        lambda actor: site.save_news_item(actor=actor, item=NewsItem(title="Autre", body="<p>x</p>")),
        lambda: NewsItem.objects.count(),
    ),
    "site.delete_news_item": (
        (_news, lambda actor, item: site.delete_news_item(actor=actor, item=item)),
        lambda: NewsItem.objects.count(),
    ),
    "site.save_number": (
        lambda actor: site.save_number(
            actor=actor, number=EmergencyNumber(category="local", label="Garde", number="0477111111")
        ),
        lambda: EmergencyNumber.objects.count(),
    ),
    "site.delete_number": (
        (_number, lambda actor, number: site.delete_number(actor=actor, number=number)),
        lambda: EmergencyNumber.objects.count(),
    ),
    "site.mark_message_handled": (
        (_message, lambda actor, message: site.mark_message_handled(actor=actor, message=message)),
        lambda: list(VisitorMessage.objects.values_list("handled_at", flat=True)),
    ),
}


def _renamed_site():
    settings_row = get_site_settings()
    settings_row.tagline = "Une autre devise"
    return settings_row


class _Rollback(Exception):
    pass


def _prepared(name: str):
    """(the write as a function of the actor alone, the fingerprint), its setup rows created."""
    write, fingerprint = WRITES[name]
    if isinstance(write, tuple):
        setup, act = write
        target = setup()
        return (lambda actor: act(actor, target)), fingerprint
    return write, fingerprint


def _attempt(name: str, actor) -> tuple[object, object]:
    """Run the write as ``actor`` in a transaction rolled back afterwards: the fingerprint before
    and after the call (its setup rows already there before)."""
    result = {}
    try:
        with transaction.atomic():
            TerritoryCommune.objects.all().delete()
            territory.add_communes(actor=SYSTEM, codes=["42207"])
            write, fingerprint = _prepared(name)
            result["before"] = fingerprint()
            write(actor)
            result["after"] = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    return result["before"], result["after"]


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_member_without_the_role_is_refused_and_nothing_changes(community_a, bob, name):
    with schema_context(community_a.schema_name):
        write, fingerprint = _prepared(name)
        before = fingerprint()
        with pytest.raises(PermissionDenied, match="réservée à l'équipe"):
            with transaction.atomic():
                write(bob)
        assert fingerprint() == before


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_member_of_another_cpts_and_a_missing_actor_are_refused(community_a, charlie, name):
    with schema_context(community_a.schema_name):
        write, fingerprint = _prepared(name)
        before = fingerprint()
        for actor in (charlie, None):
            with pytest.raises(PermissionDenied, match="pas membre de cette CPTS"):
                with transaction.atomic():
                    write(actor)
        assert fingerprint() == before


@pytest.mark.parametrize("name", sorted(WRITES))
def test_the_team_and_the_platform_itself_may_write(community_a, alice, name):
    with schema_context(community_a.schema_name):
        for actor in (alice, SYSTEM):
            before, after = _attempt(name, actor)
            assert after != before, f"{name} as {actor!r} changed nothing"


def test_the_platform_itself_holds_every_role_but_no_membership(community_a):
    with schema_context(community_a.schema_name):
        for role in Role:
            assert require_role(SYSTEM, role) is None
    assert SYSTEM.pk is None
    assert not SYSTEM.is_authenticated
