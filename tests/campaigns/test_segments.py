"""Segments select exactly the right people: each filter alone, then combined."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.campaigns.models import DirectoryOptIn
from apps.campaigns.segments import Audience, Source, StandingFilter, select
from apps.directory.models import Entry, Place
from apps.dues.calendar import paris_today
from apps.dues.models import Dues, Tier
from apps.events.models import Event, Registration
from apps.members.models import Membership
from apps.professionals.models import ProfessionalProfile
from apps.working_groups.models import GroupMember, WorkingGroup

from .conftest import make_member

pytestmark = pytest.mark.django_db


def profile(user, profession: str, commune: str, postcode: str = "") -> None:
    ProfessionalProfile.objects.create(
        user=user, profession=profession, practice_mode="L", practice_place="Cabinet", commune=commune,
        postcode=postcode,
    )  # fmt: skip


@pytest.fixture
def people(community_a):
    """In A: exempt doctor in Morelle (group, event), candidate nurse, lapsed doctor, a doctor
    paid this year on tier « Soutien » in Morelle; alice (admin) and bob (exempt member) exist."""
    year = paris_today().year
    schema = community_a.schema_name
    exempt = make_member(schema, "exempt@test.fr")
    candidate = make_member(schema, "candidate@test.fr", exempt=False)
    lapsed = make_member(schema, "lapsed@test.fr", exempt=False)
    paid = make_member(schema, "paid@test.fr", exempt=False)
    profile(exempt, "10", "Morelle", "12345")
    profile(candidate, "60", "Autreville")
    profile(lapsed, "10", "Autreville")
    profile(paid, "10", "morelle")
    with schema_context(schema):
        tier = Tier.objects.create(name="Soutien", price=Decimal("20"))
        other_tier = Tier.objects.create(name="Simple", price=Decimal("10"))
        membership = {u.pk: Membership.objects.get(user=u) for u in (exempt, candidate, lapsed, paid)}
        Dues.objects.create(membership=membership[lapsed.pk], year=year - 2, tier=other_tier, amount=10,
                            status=Dues.Status.EXPIRED)  # fmt: skip
        Dues.objects.create(membership=membership[candidate.pk], year=year, tier=other_tier, amount=10)
        Dues.objects.create(membership=membership[paid.pk], year=year, tier=tier, amount=20,
                            status=Dues.Status.ACTIVE)  # fmt: skip
        group = WorkingGroup.objects.create(name="Parcours diabète")
        GroupMember.objects.create(group=group, user=exempt)
        GroupMember.objects.create(group=group, user=candidate)
        start = timezone.now() + timedelta(days=10)
        event = Event.objects.create(title="Soirée", starts_at=start, ends_at=start + timedelta(hours=2))
        Registration.objects.create(event=event, user=exempt, status=Registration.Status.CONFIRMED)
        Registration.objects.create(event=event, user=paid, status=Registration.Status.CANCELLED)
        Registration.objects.create(event=event, user=lapsed, status=Registration.Status.PENDING)
    return {
        "schema": schema, "year": year, "tier": tier.pk, "group": group.pk, "event": event.pk,
        "exempt": exempt.email, "candidate": candidate.email, "lapsed": lapsed.email, "paid": paid.email,
    }  # fmt: skip


def emails(schema: str, **filters) -> set[str]:
    with schema_context(schema):
        return {p.email for p in select(Audience(**filters))}


def test_everyone_without_filter_is_every_active_member(people, alice, bob):
    expected = {
        alice.email,
        bob.email,
        people["exempt"],
        people["candidate"],
        people["lapsed"],
        people["paid"],
    }
    assert emails(people["schema"]) == expected


def test_standing_uses_the_one_definition_of_a_member_a_jour(people, alice, bob):
    good = {alice.email, bob.email, people["exempt"], people["paid"]}
    assert emails(people["schema"], standing=StandingFilter.GOOD) == good
    assert emails(people["schema"], standing=StandingFilter.NOT_GOOD) == {
        people["candidate"],
        people["lapsed"],
    }


def test_each_filter_alone(people):
    s = people["schema"]
    assert emails(s, year=people["year"]) == {people["paid"]}
    assert emails(s, year=people["year"] - 2) == set()  # expired dues are not paid dues
    assert emails(s, tier=people["tier"]) == {people["paid"]}
    assert emails(s, profession="10") == {people["exempt"], people["lapsed"], people["paid"]}
    assert emails(s, commune="Morelle") == {people["exempt"], people["paid"]}
    assert emails(s, commune="12345") == {people["exempt"]}
    assert emails(s, working_group=people["group"]) == {people["exempt"], people["candidate"]}
    # Registrants hold a seat (confirmed or held); a cancelled registration is not one.
    assert emails(s, event=people["event"]) == {people["exempt"], people["lapsed"]}


def test_filters_combine_with_and(people):
    s = people["schema"]
    assert emails(s, profession="10", commune="Morelle", standing=StandingFilter.GOOD) == {
        people["exempt"], people["paid"]
    }  # fmt: skip
    assert emails(s, profession="10", event=people["event"], standing=StandingFilter.NOT_GOOD) == {
        people["lapsed"]
    }
    assert emails(s, working_group=people["group"], profession="60") == {people["candidate"]}
    assert emails(s, working_group=people["group"], year=people["year"]) == set()


def test_inactive_memberships_and_other_cpts_are_never_selected(people, community_b, charlie):
    with schema_context(people["schema"]):
        Membership.objects.filter(user__email=people["exempt"]).update(is_active=False)
    assert people["exempt"] not in emails(people["schema"])
    assert charlie.email not in emails(people["schema"])
    assert emails(community_b.schema_name) == {charlie.email}


def test_directory_professionals_who_opted_in(people):
    with schema_context(people["schema"]):
        nurse = Entry.objects.create(
            kind="professional", family="liberal", name="Inès Infirmière", profession_code="60"
        )
        doctor = Entry.objects.create(
            kind="professional", family="liberal", name="Paul Médecin", profession_code="10"
        )
        silent = Entry.objects.create(
            kind="professional", family="liberal", name="Sans Accord", profession_code="10"
        )
        Place.objects.create(entry=doctor, city="Morelle", email="paul@cabinet.fr")
        Place.objects.create(entry=silent, city="Morelle", email="silent@cabinet.fr")
        DirectoryOptIn.objects.create(entry=nurse, email="ines@soins.fr")
        DirectoryOptIn.objects.create(entry=doctor, email="paul@cabinet.fr")
        DirectoryOptIn.objects.create(entry=silent, email="old@cabinet.fr", withdrawn_at=timezone.now())
    s = people["schema"]
    assert emails(s, source=Source.DIRECTORY) == {"ines@soins.fr", "paul@cabinet.fr"}
    assert emails(s, source=Source.DIRECTORY, profession="10") == {"paul@cabinet.fr"}
    assert emails(s, source=Source.DIRECTORY, commune="morelle") == {"paul@cabinet.fr"}
