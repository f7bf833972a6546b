"""Joining (profile, tier, year rule) and offline payments with their numbered receipt."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from apps.audit.models import AuditEvent
from apps.dues.calendar import membership_year
from apps.dues.models import Dues, DuesSettings, Tier
from apps.members.models import Membership
from apps.payments.models import Payment, Receipt
from apps.professionals.models import AccountCommunity, ProfessionalProfile
from tests.conftest import HOST_A, HOST_B, PASSWORD
from tests.dues.conftest import in_schema, join_data
from tests.factories.accounts import sign_up

PARIS = ZoneInfo("Europe/Paris")


def test_a_new_cpts_starts_with_the_two_default_tiers(community_a):
    with in_schema(community_a):
        tiers = [(t.name, t.price, t.is_active) for t in Tier.objects.all()]
    assert tiers == [
        ("Adhésion classique", Decimal("5.00"), True),
        ("Adhésion partenaire", Decimal("17.00"), True),
    ]


def test_the_membership_year_is_the_civil_year_unless_the_cpts_switch_date_is_passed(db):
    row = DuesSettings(next_year_from_month=None)
    assert membership_year(row, datetime(2026, 12, 31, 23, 30, tzinfo=PARIS)) == 2026
    row = DuesSettings(next_year_from_month=12, next_year_from_day=1)
    assert membership_year(row, datetime(2026, 11, 30, 23, 59, tzinfo=PARIS)) == 2026
    assert membership_year(row, datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)) == 2027
    # 30 November 23:30 UTC is already 1 December in Paris.
    assert membership_year(row, datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC"))) == 2027


def test_an_anonymous_visitor_sees_the_tiers_and_the_account_choices(community_a):
    page = Client(HTTP_HOST=HOST_A).get("/adhesion/")
    assert page.status_code == 200
    assert "Adhésion classique" in page.text and "5,00 €" in page.text
    assert "Créer mon compte" in page.text


def test_a_visitor_creates_an_account_then_joins_and_the_dues_wait_for_payment(
    community_a, django_capture_on_commit_callbacks
):
    client = Client(HTTP_HOST=HOST_A)
    response = sign_up(client, "dora@test.fr", first_name="Dora", last_name="Infirmière", password=PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/adhesion/"
    dora = get_user_model().objects.get(email="dora@test.fr")
    with in_schema(community_a):
        classic = Tier.objects.get(name="Adhésion classique")
    response = client.post("/adhesion/", join_data(classic.pk))
    assert response.status_code == 302, response.content
    with in_schema(community_a):
        dues = Dues.objects.get(membership__user=dora)
        assert response["Location"] == f"/cotisation/{dues.pk}/paiement/"
        assert (dues.year, dues.amount, dues.status) == (
            membership_year(DuesSettings.load()),
            Decimal("5.00"),
            "pending",
        )
        membership = Membership.objects.get(user=dora)
        assert membership.role == "member" and membership.eligibility_category == "liberal"
        assert membership.consent_at is not None
    profile = ProfessionalProfile.objects.get(user=dora)
    assert (profile.identifier, profile.commune, profile.phone) == ("10000000009", "Lorient", "0297000000")
    assert AccountCommunity.objects.filter(user=dora, community=community_a).exists()
    # No Stripe account connected: the payment page offers the offline route.
    page = client.get(response["Location"])
    assert "Le paiement par carte n'est pas encore disponible" in page.text


def test_an_existing_email_is_sent_to_the_login_page_by_e_mail(community_a, bob, mailoutbox):
    client = Client(HTTP_HOST=HOST_A)
    page = client.post("/adhesion/compte/", {"email-email": "BOB@test.fr"})
    assert "Nous avons écrit à" in page.text and "Un compte existe déjà" not in page.text
    assert "Un compte existe déjà pour cette adresse" in mailoutbox[-1].body
    assert "/compte/connexion/?next=/adhesion/" in mailoutbox[-1].body
    assert get_user_model().objects.filter(email__iexact="bob@test.fr").count() == 1


def test_a_member_of_another_cpts_reuses_the_profile(community_a, community_b, charlie, client_as):
    ProfessionalProfile.objects.create(
        user=charlie, profession="70", identifier_type="rpps", identifier="10000000009",
        practice_mode="L", practice_place="Cabinet de kiné", commune="Auray", postcode="56400",
    )  # fmt: skip
    client = client_as(charlie, HOST_A)
    page = client.get("/adhesion/")
    assert "Profil repris de votre compte" in page.text
    assert 'value="Cabinet de kiné"' in page.text


def test_a_bad_rpps_key_is_refused_with_a_french_error_and_nothing_is_created(community_a, client_as, bob):
    client = client_as(bob, HOST_A)
    with in_schema(community_a):
        tier = Tier.objects.first()
    data = join_data(tier.pk)
    data["profile-identifier"] = "10000000008"
    page = client.post("/adhesion/", data)
    assert page.status_code == 200
    assert "La clé du numéro RPPS est incorrecte" in page.text
    with in_schema(community_a):
        assert not Dues.objects.filter(membership__user=bob).exists()
    assert not ProfessionalProfile.objects.filter(user=bob).exists()


def test_a_tier_closed_to_the_category_is_refused(community_a, client_as, bob):
    with in_schema(community_a):
        tier = Tier.objects.create(
            name="Établissements", price=Decimal("50"), eligible_categories=["salaried"]
        )
    page = client_as(bob, HOST_A).post("/adhesion/", join_data(tier.pk, "liberal"))
    assert "Cette formule n&#x27;est pas ouverte à votre catégorie." in page.text
    with in_schema(community_a):
        assert not Dues.objects.filter(membership__user=bob).exists()


def _join(client, community, user, tier_name="Adhésion classique"):
    with in_schema(community):
        tier = Tier.objects.get(name=tier_name)
    response = client.post("/adhesion/", join_data(tier.pk))
    assert response.status_code == 302, response.content
    with in_schema(community):
        return Dues.objects.get(membership__user=user)


def test_the_team_records_a_cheque_and_a_numbered_receipt_is_emailed(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    team = client_as(alice, HOST_A)
    with in_schema(community_a):
        membership_id = dues.membership_id
        tier_id = dues.tier_id
        start = Receipt.objects.filter(kind="receipt").count()
    with django_capture_on_commit_callbacks(execute=True):
        response = team.post(
            f"/equipe/adherents/{membership_id}/",
            {
                "action": "offline",
                "year": dues.year,
                "tier": tier_id,
                "method": "cheque",
                "reference": "CHQ 0042",
            },
        )
    assert response.status_code == 302
    with in_schema(community_a):
        dues.refresh_from_db()
        payment = Payment.objects.get(dues=dues)
        receipt = Receipt.objects.get(payment=payment)
        assert dues.status == "active" and payment.status == "succeeded" and payment.method == "cheque"
        assert receipt.number == f"{receipt.year}-{start + 1:06d}"
        assert receipt.emailed_at is not None and receipt.pdf
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.pdf.read())).pages)
    assert f"REÇU DE COTISATION N° {receipt.number}" in text
    assert "CPTS Alpha" in text and "Bob Membre" in text and "RPPS 10000000009" in text
    assert "5,00 €" in text and "Chèque (CHQ 0042)" in text
    assert f"du 01/01/{dues.year} au 31/12/{dues.year}" in text
    assert "TVA non applicable, art. 261-7-1° du CGI" in text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@test.fr"]
    assert mail.outbox[0].attachments[0][0] == f"{receipt.number}.pdf"
    # The member downloads it; charlie (another CPTS) cannot see it exists.
    download = client_as(bob, HOST_A).get(f"/recus/{receipt.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client_as(bob, HOST_B).get(f"/recus/{receipt.pk}/").status_code in (302, 404)


def test_a_refund_issues_a_credit_note_and_keeps_the_receipt(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    from apps.dues import services

    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment = services.record_offline_payment(actor=alice, dues=dues, method="transfer")
    with in_schema(community_a):
        membership_id = dues.membership_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(
            f"/equipe/adherents/{membership_id}/", {"action": "refund", "payment": payment.pk}
        )
    assert response.status_code == 302
    with in_schema(community_a):
        kinds = dict(Receipt.objects.filter(payment=payment).values_list("kind", "number"))
        dues.refresh_from_db()
        payment.refresh_from_db()
        note = Receipt.objects.get(payment=payment, kind="credit_note")
        assert note.cancels.number == kinds["receipt"]
    assert set(kinds) == {"receipt", "credit_note"} and kinds["credit_note"].startswith("AV-")
    assert payment.status == "refunded" and dues.status == "refunded"
    assert [m.subject.split(" n° ")[0] for m in mail.outbox] == ["Reçu de cotisation", "Avoir"]


def test_joining_again_for_a_paid_year_is_refused(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    from apps.dues import services

    client = client_as(bob, HOST_A)
    dues = _join(client, community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        services.record_offline_payment(actor=alice, dues=dues, method="cash")
    with in_schema(community_a):
        tier = Tier.objects.get(name="Adhésion partenaire")
    page = client.post("/adhesion/", join_data(tier.pk))
    assert page.status_code == 200 and f"Votre cotisation {dues.year} est déjà réglée." in page.text
    with in_schema(community_a):
        dues.refresh_from_db()
        assert dues.tier.name == "Adhésion classique" and dues.status == "active"


@pytest.mark.parametrize(
    "path",
    [
        "/equipe/adherents/",
        "/equipe/cotisations/chiffres/",
        "/equipe/cotisations/reglages/",
        "/equipe/adherents/1/",
    ],
)
def test_bob_gets_403_and_charlie_404_on_the_team_back_office(path, community_a, client_as, bob, charlie):
    assert client_as(bob, HOST_A).get(path).status_code == 403
    assert client_as(charlie, HOST_A).get(path).status_code == 404


def test_charlie_cannot_record_a_payment_or_refund_in_a(community_a, client_as, alice, bob, charlie):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a):
        membership_id, tier_id = dues.membership_id, dues.tier_id
    for user, status in ((charlie, 404), (bob, 403)):
        response = client_as(user, HOST_A).post(
            f"/equipe/adherents/{membership_id}/",
            {"action": "offline", "year": dues.year, "tier": tier_id, "method": "cash"},
        )
        assert response.status_code == status
    with in_schema(community_a):
        assert not Payment.objects.filter(dues=dues).exists()


def test_charlie_gets_404_on_bobs_payment_page_in_a(community_a, client_as, bob, charlie):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    assert client_as(charlie, HOST_A).get(f"/cotisation/{dues.pk}/paiement/").status_code == 404


def test_the_team_list_filters_and_exports_csv(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    from apps.dues import services

    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        services.record_offline_payment(actor=alice, dues=dues, method="cash")
    team = client_as(alice, HOST_A)
    row = '<span class="muted">{}</span>'.format
    page = team.get("/equipe/adherents/", {"year": dues.year, "status": "active"})
    assert row("bob@test.fr") in page.text and row("alice@test.fr") not in page.text
    page = team.get("/equipe/adherents/", {"year": dues.year, "status": "none"})
    assert row("alice@test.fr") in page.text and row("bob@test.fr") not in page.text
    page = team.get("/equipe/adherents/", {"year": dues.year, "profession": "60", "q": "bob"})
    assert row("bob@test.fr") in page.text
    export = team.get("/equipe/adherents/", {"year": dues.year, "export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    with in_schema(community_a):
        (line,) = AuditEvent.objects.filter(action="members.exported")
        assert line.actor_id == alice.pk and line.details["year"] == dues.year
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Nom;Prénom;E-mail;Profession")
    assert any(
        line.startswith("Membre;Bob;bob@test.fr;Infirmier;10000000009;Lorient") and "À jour" in line
        for line in lines
    )
    figures = team.get("/equipe/cotisations/chiffres/")
    assert figures.status_code == 200 and "5,00 €" in figures.text


def test_the_member_space_lists_memberships_in_every_cpts(
    community_a, community_b, client_as, charlie, django_capture_on_commit_callbacks
):
    from apps.members.services import grant_role

    with in_schema(community_a):
        grant_role(user=charlie, role="member")
    page = client_as(charlie, HOST_B).get("/mon-espace/")
    assert page.status_code == 200
    assert "CPTS Alpha" in page.text and "CPTS Bêta" in page.text


def test_one_click_renewal_reuses_last_years_tier_and_goes_to_payment(community_a, client_as, bob):
    with in_schema(community_a):
        membership = Membership.objects.get(user=bob)
        Membership.objects.filter(pk=membership.pk).update(eligibility_category="liberal")
        partner = Tier.objects.get(name="Adhésion partenaire")
        year = membership_year(DuesSettings.load())
        Dues.objects.create(
            membership=membership, year=year - 1, tier=partner, amount=partner.price, status="expired"
        )
    client = client_as(bob, HOST_A)
    page = client.get("/adhesion/renouveler/")
    assert page.status_code == 200 and "Adhésion partenaire" in page.text and "17,00 €" in page.text
    response = client.post("/adhesion/renouveler/")
    with in_schema(community_a):
        dues = Dues.objects.get(membership=membership, year=year)
    assert response.status_code == 302 and response["Location"] == f"/cotisation/{dues.pk}/paiement/"
    assert (dues.tier_id, dues.status) == (partner.pk, "pending")


def test_renewal_without_a_previous_year_goes_to_the_join_form(community_a, client_as, bob):
    response = client_as(bob, HOST_A).get("/adhesion/renouveler/")
    assert response.status_code == 302 and response["Location"] == "/adhesion/"


def test_charlie_gets_404_on_bobs_receipt_payment_status_and_confirmation_in_a(
    community_a, client_as, alice, bob, charlie, django_capture_on_commit_callbacks
):
    from apps.dues import services

    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment = services.record_offline_payment(actor=alice, dues=dues, method="cheque")
    with in_schema(community_a):
        receipt = Receipt.objects.get(payment=payment)
    outsider = client_as(charlie, HOST_A)
    assert outsider.get(f"/recus/{receipt.pk}/").status_code == 404
    assert outsider.get(f"/cotisation/paiement/{payment.pk}/").status_code == 404
    response = outsider.post(
        f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": "pm_card_visa"}
    )
    assert response.status_code == 404
    assert outsider.get(f"/equipe/adherents/{dues.membership_id}/").status_code == 404
    # The team of A can read it; bob too; nothing changed for the payment.
    assert client_as(alice, HOST_A).get(f"/recus/{receipt.pk}/").status_code == 200
    with in_schema(community_a):
        payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_the_yearly_figures_count_the_members_who_paid_the_year_even_once_it_lapsed(community_a, bob):
    """Figures of a past year (team figures, dashboard chart): its dues lapse on 1 January
    (« échue ») but were paid: their members were à jour that year and count; pending, refunded
    and cancelled dues do not."""
    from apps.dues.selectors import year_figures

    with in_schema(community_a):
        tier = Tier.objects.get(name="Adhésion classique")
        users = get_user_model().objects
        for n, status in enumerate(["expired", "active", "pending", "refunded", "cancelled"]):
            membership = Membership.objects.create(user=users.create_user(f"y{n}@test.fr", PASSWORD))
            Dues.objects.create(membership=membership, year=2020, tier=tier, amount=tier.price, status=status)
        figures = year_figures(2020)
    assert (figures.members_active, figures.members_pending) == (2, 1)
    assert [(row["tier__name"], row["count"]) for row in figures.by_tier] == [("Adhésion classique", 2)]
