"""A person's data across two CPTS: downloaded whole, or erased while receipts are kept; the
retention jobs (run twice, act once), once through a real worker."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.compliance.models import ErasureRequest
from apps.compliance.retention import apply_retention
from apps.directory.models import ImportRun
from apps.dues import services as dues_services
from apps.dues.models import Tier
from apps.members.models import Membership, Role
from apps.members.services import grant_role
from apps.payments import receipts
from apps.payments.models import Receipt
from apps.professionals.models import ProfessionalProfile
from apps.site.models import VisitorMessage
from tests.conftest import HOST_A, PASSWORD, wait_until
from workers.gdpr import fan_out_retention_task

HOST_B = "beta.localhost"


def _paid_receipt(member, admin, schema: str) -> Receipt:
    """``member``'s dues in ``schema``, paid by cheque as recorded by ``admin``, with its receipt."""
    with schema_context(schema):
        tier = Tier.objects.order_by("pk").first()
        dues = dues_services.join(actor=member, tier=tier, eligibility_category="liberal", consent=True)
        payment = dues_services.record_offline_payment(actor=admin, dues=dues, method="cheque")
        receipt = receipts.issue(payment.pk)
        return receipts.ensure_pdf(receipt)


@pytest.fixture
def dana(community_b):
    """An administrator of B."""
    user = get_user_model().objects.create_user(
        "dana@test.fr", PASSWORD, first_name="Dana", last_name="Admin"
    )
    with schema_context(community_b.schema_name):
        grant_role(user=user, role=Role.ADMIN, dues_exempt=True)
    return user


@pytest.fixture
def bob_in_two_cpts(community_a, community_b, alice, bob, dana, django_capture_on_commit_callbacks):
    """Bob, member of A and B, with a profile and a paid receipt in each CPTS."""
    ProfessionalProfile.objects.create(
        user=bob, profession="70", identifier_type="none", practice_mode="L", practice_place="Cabinet",
        commune="Saint-Étienne",
    )  # fmt: skip
    with schema_context(community_b.schema_name):
        grant_role(user=bob, role=Role.MEMBER, dues_exempt=True)
    with django_capture_on_commit_callbacks(execute=False):
        first = _paid_receipt(bob, alice, community_a.schema_name)
        second = _paid_receipt(bob, dana, community_b.schema_name)
    return first, second


def test_a_person_downloads_everything_held_across_their_cpts(
    bob_in_two_cpts, bob, charlie, alice, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    receipt_a, receipt_b = bob_in_two_cpts
    client = client_as(bob, HOST_A)
    # Asked in the request; built by the task after commit (eager here, a real worker in
    # test_data_exports.py); the person is mailed and downloads it from the page.
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/mon-espace/mes-donnees/archive/")
    assert asked.status_code == 302 and asked["Location"] == "/mon-espace/mes-donnees/"
    assert [m.to for m in mailoutbox] == [[bob.email]]
    assert mailoutbox[0].subject == "Vos données personnelles sont prêtes"
    assert "http://alpha.localhost/mon-espace/mes-donnees/" in mailoutbox[0].body
    page = client.get("/mon-espace/mes-donnees/").content.decode()
    assert "Prête (lien valable jusqu" in page
    link = re.search(r'href="(/mon-espace/mes-donnees/archive/\d+/)"', page).group(1)
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    document = json.loads(archive.read("donnees.json"))
    assert document["compte"]["email"] == bob.email
    assert document["plateforme"]["professionals.professionalprofile"][0]["profession"] == "70"
    assert set(document["cpts"]) == {"alpha", "beta"}
    for schema, receipt in (("alpha", receipt_a), ("beta", receipt_b)):
        data = document["cpts"][schema]["données"]
        assert data["members.membership"][0]["role"] == "member"
        assert [r["number"] for r in data["payments.receipt"]] == [receipt.number]
        assert f"fichiers/{schema}/{receipt.pdf.name}" in archive.namelist()
    text = archive.read("donnees.json").decode()
    assert "pbkdf2" not in text and "password" not in text
    assert charlie.email not in text
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="gdpr.data_exported", actor=bob).count() == 1
    # Only that account downloads it: another CPTS's member, or this CPTS's admin, gets a 404.
    assert client_as(charlie, HOST_B).get(link).status_code == 404
    assert client_as(alice, HOST_A).get(link).status_code == 404
    assert Client(HTTP_HOST=HOST_A).get(link).status_code == 302


def test_an_unconfirmed_erasure_is_refused_under_the_box_and_changes_nothing(community_a, bob, client_as):
    response = client_as(bob, HOST_A).post("/mon-espace/mes-donnees/", {})
    assert response.status_code == 200
    assert "Cochez la case pour confirmer l&#x27;effacement." in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active and ErasureRequest.objects.filter(user_id=bob.pk).count() == 0


def test_erasure_anonymises_the_account_in_every_cpts_and_keeps_the_receipts(
    bob_in_two_cpts, bob, alice, dana, client_as, operator_client
):
    receipt_a, receipt_b = bob_in_two_cpts
    name = bob.get_full_name()
    response = client_as(bob, HOST_A).post("/mon-espace/mes-donnees/", {"confirm": "on"})
    assert response.status_code == 302
    account = get_user_model().objects.get(pk=bob.pk)
    assert (account.email, account.first_name, account.last_name, account.is_active) == (
        f"compte-efface-{bob.pk}@anonyme.invalid", "", "", False,
    )  # fmt: skip
    assert not account.has_usable_password()
    assert not ProfessionalProfile.objects.filter(user_id=bob.pk).exists()
    for schema, receipt in (("alpha", receipt_a), ("beta", receipt_b)):
        with schema_context(schema):
            assert not Membership.objects.get(user_id=bob.pk).is_active
            kept = Receipt.objects.get(pk=receipt.pk)
            assert kept.content["member_name"] == name  # the law keeps the name on the receipt
            assert default_storage.exists(kept.pdf.name)
            assert (
                AuditEvent.objects.filter(action="gdpr.account_anonymised", target_id=str(bob.pk)).count()
                == 1
            )
    request = ErasureRequest.objects.get(user_id=bob.pk)
    assert sorted(request.communities) == ["alpha", "beta"] and request.completed_at is not None
    # Seen by each CPTS's admins and by the operator; the account cannot sign in.
    for admin, host in ((alice, HOST_A), (dana, HOST_B)):
        page = client_as(admin, host).get("/equipe/effacements/").content.decode()
        assert f"n° {bob.pk}" in page
    assert f"n° {bob.pk}" in operator_client.get("/console/effacements/").content.decode()


def test_the_erasure_pages_refuse_a_member_and_a_stranger(community_a, bob, charlie, client_as):
    assert client_as(bob, HOST_A).get("/equipe/effacements/").status_code == 403
    assert client_as(charlie, HOST_A).get("/equipe/effacements/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/mon-espace/mes-donnees/").status_code == 302


def _stale_data(schema: str) -> dict:
    """In ``schema``: a visitor message and a finished import past their delays, recent ones."""
    old = timezone.now() - timedelta(days=400)
    with schema_context(schema):
        VisitorMessage.objects.create(
            kind="contact", name="Anne", email="anne@example.test", body="x", created_at=old
        )
        recent = VisitorMessage.objects.create(kind="contact", name="Luc", email="luc@example.test", body="y")
        name = default_storage.save("directory/imports/vieux-rpps.txt", ContentFile(b"lignes"))
        run = ImportRun.objects.create(status="done", rpps_file=name, created_at=old)
        return {"recent": recent.pk, "run": run.pk, "file": name}


def test_retention_deletes_what_is_past_its_delay_once(community_a, django_capture_on_commit_callbacks):
    made = _stale_data(community_a.schema_name)
    with schema_context(community_a.schema_name):
        with django_capture_on_commit_callbacks(execute=True):
            first = apply_retention()
        with django_capture_on_commit_callbacks(execute=True):
            second = apply_retention()
        assert first["visitor_messages"] == 1 and first["import_files"] == 1
        assert second == {"visitor_messages": 0, "import_files": 0, "audit_lines": 0}
        assert list(VisitorMessage.objects.values_list("pk", flat=True)) == [made["recent"]]
        assert ImportRun.objects.get(pk=made["run"]).rpps_file == ""
        assert not default_storage.exists(made["file"])
        assert AuditEvent.objects.filter(action="gdpr.retention_applied").count() == 1


@pytest.mark.worker
def test_beat_fans_the_retention_out_to_every_cpts_through_a_real_worker(
    real_worker, world, django_db_blocker
):
    with django_db_blocker.unblock():
        for schema in ("alpha", "beta"):
            _stale_data(schema)
        try:
            fan_out_retention_task.apply(kwargs={"spread_seconds": 2})

            def done():
                for schema in ("alpha", "beta"):
                    with schema_context(schema):
                        if VisitorMessage.objects.filter(name="Anne").exists():
                            return False
                return True

            assert wait_until(done, timeout=60), real_worker.log()
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    assert (
                        not ImportRun.objects.exclude(rpps_file="")
                        .filter(rpps_file__contains="vieux")
                        .exists()
                    )
        finally:
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    VisitorMessage.objects.filter(name__in=["Anne", "Luc"]).delete()
                    ImportRun.objects.filter(created_at__lt=timezone.now() - timedelta(days=300)).delete()
    assert "gdpr.apply_retention" in real_worker.log()
