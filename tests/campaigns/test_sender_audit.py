"""The CPTS's campaign sender settings (name, reply-to) are written in its audit log, old → new."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.campaigns import services

pytestmark = pytest.mark.django_db


def test_changing_the_sender_writes_one_line_with_the_old_and_new_values(community_a, alice):
    with tenant_context(community_a):
        services.save_sender(actor=alice, sender_name="Équipe Alpha", reply_to="contact@alpha.fr")
        services.save_sender(actor=alice, sender_name="Équipe Alpha", reply_to="bureau@alpha.fr")
        services.save_sender(actor=alice, sender_name="Équipe Alpha", reply_to="bureau@alpha.fr")
        lines = list(AuditEvent.objects.filter(action="campaigns.sender_changed").order_by("pk"))
    assert [(line.actor_id, line.details) for line in lines] == [
        (
            alice.pk,
            {
                "before": {"sender_name": "", "reply_to": ""},
                "after": {"sender_name": "Équipe Alpha", "reply_to": "contact@alpha.fr"},
            },
        ),
        (
            alice.pk,
            {
                "before": {"reply_to": "contact@alpha.fr"},
                "after": {"reply_to": "bureau@alpha.fr"},
            },
        ),
    ]  # saving the same values again writes nothing
    with schema_context("beta"):
        assert not AuditEvent.objects.filter(action="campaigns.sender_changed").exists()


def test_the_sender_line_is_shown_with_its_french_label_on_the_audit_page(community_a, alice, client_as):
    with tenant_context(community_a):
        services.save_sender(actor=alice, sender_name="Équipe Alpha", reply_to="")
    page = client_as(alice, "alpha.localhost").get("/equipe/journal/")
    assert page.status_code == 200
    assert "Expéditeur des campagnes modifié" in page.content.decode()
