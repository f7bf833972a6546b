"""A professional of the CPTS's directory who is not a member opts in to hear from the CPTS:
public page, e-mail double opt-in, withdrawal by the unsubscribe link of any campaign; honeypot
and rate limit like the other public forms."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import segments, services
from apps.campaigns.models import DirectoryOptIn
from apps.campaigns.segments import Audience, Source
from apps.directory.models import Entry
from tests.conftest import HOST_A, HOST_B

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(community_a):
    with schema_context(community_a.schema_name):
        return Entry.objects.create(
            kind="professional", family="liberal", name="Inès Infirmière", profession_code="60"
        )


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield


def ask(client: Client, entry, email: str = "ines@soins.fr", **extra):
    return client.post(f"/annuaire/{entry.pk}/recevoir-les-nouvelles/",
                       {"email": email, "consent": "on", "website": "", **extra})  # fmt: skip


def directory_count(schema: str) -> int:
    with schema_context(schema):
        return segments.count(Audience(source=Source.DIRECTORY))


def test_a_professional_opts_in_by_double_opt_in_then_withdraws_by_the_unsubscribe_link(
    community_a, alice, nurse, smtp_sink, django_capture_on_commit_callbacks
):
    visitor = Client(HTTP_HOST=HOST_A)
    page = visitor.get(f"/annuaire/{nurse.pk}/recevoir-les-nouvelles/")
    assert page.status_code == 200 and "Inès Infirmière" in page.content.decode()

    answer = ask(visitor, nurse)
    assert answer.status_code == 302
    assert "vérifiez votre boîte" in visitor.get(answer["Location"]).content.decode().lower()
    (confirmation,) = smtp_sink.to("ines@soins.fr")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://alpha\.localhost(/recevoir-les-nouvelles/confirmer/[^\s]+/)", text).group(1)
    assert directory_count("alpha") == 0  # nothing before the confirmation

    # A link scanner's GET confirms nothing.
    assert "Confirmer" in visitor.get(link).content.decode()
    assert directory_count("alpha") == 0
    done = visitor.post(link)
    assert done.status_code == 200 and "confirmé" in done.content.decode()
    assert directory_count("alpha") == 1
    visitor.post(link)  # twice: still one consent
    with schema_context("alpha"):
        assert DirectoryOptIn.objects.filter(entry=nurse).count() == 1

    # B's site does not take A's confirmation.
    assert Client(HTTP_HOST=HOST_B).post(link).status_code == 404

    # A campaign to the directory's professionals reaches her, with the unsubscribe link.
    smtp_sink.clear()
    with tenant_context(community_a):
        campaign = services.save_campaign(
            actor=alice, campaign=None, data={"subject": "Invitation", "body": "<p>Venez</p>"},
            audience=Audience(source=Source.DIRECTORY),
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_campaign(actor=alice, campaign=campaign)
    (message,) = smtp_sink.to("ines@soins.fr")
    unsubscribe = (
        "".join(message["List-Unsubscribe"].split()).strip("<>").removeprefix("http://alpha.localhost")
    )
    assert Client(HTTP_HOST=HOST_A).post(unsubscribe).status_code == 200
    assert directory_count("alpha") == 0
    with schema_context("alpha"):
        assert DirectoryOptIn.objects.get(entry=nurse).withdrawn_at is not None


def test_bad_input_robots_and_floods_are_refused_and_nothing_is_sent(community_a, nurse, smtp_sink):
    visitor = Client(HTTP_HOST=HOST_A)
    bad = ask(visitor, nurse, email="pas-une-adresse")
    assert bad.status_code == 400 and "adresse e-mail valide" in bad.content.decode()
    no_consent = visitor.post(f"/annuaire/{nurse.pk}/recevoir-les-nouvelles/", {"email": "ines@soins.fr"})
    assert no_consent.status_code == 400
    robot = ask(visitor, nurse, website="http://spam.example")
    assert robot.status_code == 302  # the same answer as a person's, and nothing sent
    assert smtp_sink.messages == []
    answers = [ask(visitor, nurse, email=f"ines{index}@soins.fr").status_code for index in range(8)]
    assert answers[-1] == 429 and "plusieurs demandes" in ask(visitor, nurse).content.decode()
    assert len(smtp_sink.messages) < 8
    # A tampered confirmation and a hidden entry: 404.
    assert visitor.post("/recevoir-les-nouvelles/confirmer/abc:def/").status_code == 404
    assert visitor.get("/annuaire/999999/recevoir-les-nouvelles/").status_code == 404
    with schema_context("alpha"):
        assert not DirectoryOptIn.objects.exists()
