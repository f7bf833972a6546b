"""« Mes CPTS »: one page lists every membership, due and receipt of the account in all its CPTS,
with hand-off links that open the other CPTS's page signed in."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from django.test import Client
from django_tenants.utils import schema_context

from apps.dues import services as dues_services
from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.members.services import grant_role
from apps.payments.models import Receipt
from tests.conftest import HOST_A, HOST_B


def _bob_paid_in_b(world, capture) -> Receipt:
    with schema_context(world.b.schema_name), capture(execute=True):
        grant_role(user=world.bob, role="member")
        grant_role(user=world.charlie, role="team")
        tier = Tier.objects.filter(is_active=True).order_by("order").first()
        dues = Dues.objects.create(
            membership=Membership.objects.get(user=world.bob), tier=tier, year=2026, amount=Decimal("5.00")
        )
        payment = dues_services.record_offline_payment(
            actor=world.charlie, dues=dues, method="cheque", reference="CHQ 1"
        )
    # The receipt is issued by a task once the payment is committed.
    with schema_context(world.b.schema_name):
        return Receipt.objects.get(payment=payment)


def test_the_page_lists_every_cpts_with_its_dues_and_receipts(
    world, db, client_as, django_capture_on_commit_callbacks
):
    receipt = _bob_paid_in_b(world, django_capture_on_commit_callbacks)
    page = client_as(world.bob, HOST_A).get("/mon-espace/mes-cpts/")
    html = unescape(page.content.decode())
    assert page.status_code == 200
    assert "CPTS Alpha" in html and "CPTS Bêta" in html
    assert f"Reçu de cotisation n° {receipt.number} (PDF)" in html
    assert "Toutes mes adhésions" in client_as(world.bob, HOST_A).get("/mon-espace/").content.decode()


def test_a_receipt_of_another_cpts_opens_there_signed_in_by_hand_off(
    world, db, client_as, django_capture_on_commit_callbacks
):
    receipt = _bob_paid_in_b(world, django_capture_on_commit_callbacks)
    html = unescape(client_as(world.bob, HOST_A).get("/mon-espace/mes-cpts/").content.decode())
    link = re.search(r'href="(/compte/vers/beta/\?suite=[^"]+)">Reçu', html).group(1)
    assert link == f"/compte/vers/beta/?suite=%2Frecus%2F{receipt.pk}%2F"

    moved = client_as(world.bob, HOST_A).get(link)
    assert moved.status_code == 302
    assert moved["Location"].startswith("http://beta.localhost/compte/arrivee/?jeton=")
    visitor = Client(HTTP_HOST=HOST_B)
    landed = visitor.get(moved["Location"].split("beta.localhost", 1)[1])
    assert landed.status_code == 302 and landed["Location"] == f"/recus/{receipt.pk}/"
    pdf = visitor.get(landed["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_hand_off_never_sends_to_another_site(world, db, client_as):
    with schema_context(world.b.schema_name):
        grant_role(user=world.bob, role="member")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        moved = client_as(world.bob, HOST_A).get("/compte/vers/beta/", {"suite": target})
        assert "suite=" not in moved["Location"]
        arrival = moved["Location"].split("beta.localhost", 1)[1]
        landed = Client(HTTP_HOST=HOST_B).get(f"{arrival}&suite={target}")
        assert landed["Location"] == "/mon-espace/"


def test_an_account_sees_only_its_own_cpts(world, db, client_as):
    html = client_as(world.charlie, HOST_B).get("/mon-espace/mes-cpts/").content.decode()
    assert "CPTS Bêta" in html and "CPTS Alpha" not in html
    assert client_as(world.charlie, HOST_A).get("/mon-espace/mes-cpts/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/mon-espace/mes-cpts/").status_code == 302
