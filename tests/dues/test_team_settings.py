"""Tiers and dues settings: admins edit, the team reads, members get 403, outsiders 404."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.dues.models import Dues, DuesSettings, Tier
from apps.members.models import Membership
from apps.members.services import grant_role
from tests.conftest import HOST_A

SETTINGS_FORM = {
    "legal_name": "Association CPTS Alpha",
    "address": "1 rue du Port\n56100 Lorient",
    "legal_identifier": "W561234567",
    "vat_mention": "TVA non applicable, art. 261-7-1° du CGI",
    "next_year_from_month": "12",
    "next_year_from_day": "1",
    "platform_fee_percent": "0",
    "reminder_offsets": "-15, 0, 45",
}


def test_an_admin_creates_a_tier_restricted_to_a_category(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/cotisations/formules/nouvelle/",
        {"name": "Structures", "price": "50", "description": "Pour les établissements",
         "eligible_categories": ["salaried", "association"], "partner_perks": "", "order": "3", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        tier = Tier.objects.get(name="Structures")
    assert (tier.price, tier.eligible_categories) == (Decimal("50.00"), ["salaried", "association"])
    assert tier.accepts("association") and not tier.accepts("liberal")


def test_a_tier_is_free_or_costs_at_least_the_smallest_card_payment(community_a, alice, client_as):
    client = client_as(alice, HOST_A)
    page = client.post(
        "/equipe/cotisations/formules/nouvelle/", {"name": "Trop peu", "price": "0.2", "order": "1"}
    )
    assert (
        page.status_code == 200 and "Indiquez 0 € pour une formule gratuite, ou au moins 0,50 €" in page.text
    )
    free = client.post(
        "/equipe/cotisations/formules/nouvelle/", {"name": "Gratuite", "price": "0", "order": "1"}
    )
    assert free.status_code == 302
    with schema_context(community_a.schema_name):
        assert not Tier.objects.filter(name="Trop peu").exists()
        assert Tier.objects.get(name="Gratuite").price == 0


def test_an_admin_sets_the_receipt_mentions_the_switch_date_and_the_reminders(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post("/equipe/cotisations/reglages/", SETTINGS_FORM)
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        row = DuesSettings.load()
    assert (row.legal_identifier, row.next_year_from_month, row.reminder_offsets) == (
        "W561234567",
        12,
        [-15, 0, 45],
    )


def test_bad_settings_are_explained_in_french_and_change_nothing(community_a, alice, client_as):
    page = client_as(alice, HOST_A).post(
        "/equipe/cotisations/reglages/",
        {**SETTINGS_FORM, "legal_identifier": "123456789", "reminder_offsets": "-30, demain"},
    )
    assert page.status_code == 200
    assert "Ce numéro SIREN ou SIRET est invalide." in page.text
    assert "Saisissez des nombres entiers séparés par des virgules." in page.text
    with schema_context(community_a.schema_name):
        assert DuesSettings.load().reminder_offsets == [-30, 0, 30]


def test_the_team_reads_the_settings_but_only_admins_change_them(community_a, client_as):
    user = get_user_model().objects.create_user("tess@test.fr", "x" * 12)
    with schema_context(community_a.schema_name):
        grant_role(user=user, role="team")
    team = client_as(user, HOST_A)
    assert team.get("/equipe/cotisations/reglages/").status_code == 200
    assert team.post("/equipe/cotisations/reglages/", SETTINGS_FORM).status_code == 403
    assert team.get("/equipe/cotisations/formules/nouvelle/").status_code == 403
    assert team.post("/equipe/cotisations/stripe/").status_code == 403
    with schema_context(community_a.schema_name):
        assert DuesSettings.load().legal_identifier == ""


def test_charlie_gets_404_on_tiers_and_stripe_connection_of_a(community_a, charlie, client_as):
    outsider = client_as(charlie, HOST_A)
    assert outsider.get("/equipe/cotisations/formules/nouvelle/").status_code == 404
    assert outsider.post("/equipe/cotisations/stripe/").status_code == 404
    community_a.refresh_from_db()
    assert community_a.stripe_account_id == ""


def test_the_members_list_runs_a_constant_number_of_queries(community_a, alice, client_as):
    client = client_as(alice, HOST_A)
    client.get("/equipe/adherents/")  # warm caches (session, site chrome)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/equipe/adherents/").status_code == 200
        return len(queries)

    before = count()
    users = get_user_model().objects
    with schema_context(community_a.schema_name):
        tier = Tier.objects.first()
        for i in range(5):
            membership = grant_role(user=users.create_user(f"m{i}@test.fr", "x" * 12), role="member")
            Dues.objects.create(membership=membership, year=2026, tier=tier, amount=tier.price)
        assert Membership.objects.count() >= 7
    assert count() == before
