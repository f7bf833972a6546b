"""The team's two mails (a request from the public form, a GP's answer) share one path: a number
and a link, never a name; sent once whatever the retries."""

from __future__ import annotations

from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import GpCapacity
from tests.access_care.conftest import SULLY, submit
from workers.access_care import notify_new_request_task, notify_team_answer_task


def test_each_team_mail_runs_twice_sends_once_and_names_nobody(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit()
        GpCapacity.objects.create(
            gp=desk.gaston,
            quarter=services.quarter_of(timezone.localdate()),
            places=1,
            practice_commune=SULLY,
        )
        proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=False)
    mail.outbox.clear()
    schema = community_a.schema_name
    outcomes = [
        notify_new_request_task.apply(args=(schema, request.pk)).get(),
        notify_new_request_task.apply(args=(schema, request.pk)).get(),
        notify_team_answer_task.apply(args=(schema, proposal.pk)).get(),
        notify_team_answer_task.apply(args=(schema, proposal.pk)).get(),
    ]
    assert outcomes == ["sent", "skipped", "sent", "skipped"]
    assert [m.to for m in mail.outbox] == [["dora@test.fr"], ["dora@test.fr"]]
    for message in mail.outbox:
        text = message.subject + message.body
        assert f"/acces-aux-soins/demandes/{request.pk}/" in message.body
        assert "Lefèvre" not in text and "Jeanne" not in text
