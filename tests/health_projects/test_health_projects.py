"""Projet de santé: versions draft → submitted → validated, public summary, members' full view."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.health_projects import selectors, services
from apps.health_projects.models import Action, ProjectVersion
from tests.conftest import HOST_A


def validated_project(alice) -> ProjectVersion:
    version = services.create_version(actor=alice, title="Projet de santé 2025-2030")
    services.update_version(
        actor=alice,
        version=version,
        title=version.title,
        summary="Un médecin traitant pour chacun.",
        diagnosis="Secret de bureau",
    )
    axis = version.axes.get(mission="access")
    services.add_action(
        actor=alice, axis=axis, data={"title": "Cellule SNP", "budget": Decimal("12000"), "owner": alice}
    )
    services.add_axis(actor=alice, version=version, mission="support", title="Attractivité du territoire")
    services.submit_version(actor=alice, version=version)
    return services.validate_version(
        actor=alice,
        version=version,
        validated_on=date(2025, 6, 30),
        validating_bodies="ARS Bretagne, CPAM du Finistère",
    )


def test_a_version_goes_from_draft_to_validated_and_then_freezes_its_text(world, db, alice):
    with schema_context("alpha"):
        version = validated_project(alice)
        assert version.status == "validated" and version.validated_on == date(2025, 6, 30)
        assert [a.mission for a in version.axes.order_by("position")] == [
            "access", "pathways", "prevention", "crisis", "support"
        ]  # fmt: skip
        with pytest.raises(ValidationError):
            services.add_axis(actor=alice, version=version, mission="own", title="Trop tard")
        action = Action.objects.get(title="Cellule SNP")
        services.update_action(actor=alice, action=action, data={"status": "done"})  # follow-up stays open
        with pytest.raises(ValidationError):
            services.update_action(actor=alice, action=action, data={"title": "Renommée"})
        action.refresh_from_db()
    assert (action.status, action.title) == ("done", "Cellule SNP")


def test_a_new_version_copies_axes_and_actions_of_the_one_it_is_based_on(world, db, alice):
    with schema_context("alpha"):
        first = validated_project(alice)
        second = services.create_version(actor=alice, title="Révision 2027", based_on=first)
        copied = list(selectors.list_actions(second).values_list("title", flat=True))
        assert selectors.get_current_version() == first  # the validated one stays in force
    assert second.number == first.number + 1 and second.status == "draft" and copied == ["Cellule SNP"]


def test_submission_needs_an_axis_for_every_socle_and_validation_needs_bodies(world, db, alice):
    with schema_context("alpha"):
        version = services.create_version(actor=alice, title="Brouillon")
        version.axes.filter(mission="crisis").delete()
        with pytest.raises(ValidationError, match="crises sanitaires"):
            services.submit_version(actor=alice, version=version)
        services.add_axis(actor=alice, version=version, mission="crisis", title="Crises")
        services.submit_version(actor=alice, version=version)
        with pytest.raises(ValidationError):
            services.validate_version(
                actor=alice, version=version, validated_on=date(2025, 1, 1), validating_bodies=" "
            )
        with pytest.raises(ValidationError):
            services.validate_version(
                actor=alice,
                version=version,
                validated_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
                validating_bodies="ARS",
            )
        version.refresh_from_db()
    assert version.status == "submitted"


def test_the_public_summary_shows_the_validated_version_without_members_only_details(world, db, alice):
    with schema_context("alpha"):
        validated_project(alice)
    page = Client(HTTP_HOST=HOST_A).get("/projet-de-sante/")
    assert page.status_code == 200
    assert "Un médecin traitant pour chacun." in page.text and "Attractivité du territoire" in page.text
    assert "ARS Bretagne" in page.text
    assert (
        "Secret de bureau" not in page.text
        and "12" + "\u202f" + "000" not in page.text
        and "Cellule SNP" not in page.text
    )


def test_members_see_the_full_projet_and_charlie_gets_404(world, db, alice, bob, charlie, client_as):
    with schema_context("alpha"):
        validated_project(alice)
    full = client_as(bob, HOST_A).get("/projet-de-sante/complet/")
    assert full.status_code == 200 and "Cellule SNP" in full.text and "Secret de bureau" in full.text
    outsider = client_as(charlie, HOST_A)
    for url in ("/projet-de-sante/complet/", "/projet-de-sante/versions/", "/projet-de-sante/versions/1/"):
        assert outsider.get(url).status_code == 404, url
    assert Client(HTTP_HOST=HOST_A).get("/projet-de-sante/complet/").status_code == 302


def test_bob_gets_403_on_editing_and_changes_nothing(world, db, bob, client_as):
    client = client_as(bob, HOST_A)
    assert client.get("/projet-de-sante/versions/").status_code == 403
    assert client.post("/projet-de-sante/versions/", {"title": "Pirate"}).status_code == 403
    with schema_context("alpha"):
        assert not ProjectVersion.objects.exists()


def test_the_team_builds_a_version_through_the_pages(world, db, alice, client_as):
    client = client_as(alice, HOST_A)
    response = client.post("/projet-de-sante/versions/", {"title": "Projet 2026"})
    assert response.status_code == 302
    with schema_context("alpha"):
        version = ProjectVersion.objects.get(title="Projet 2026")
        axis = version.axes.get(mission="prevention")
    bad = client.post(
        f"/projet-de-sante/versions/{version.number}/",
        {"form": "action", "action-axis": axis.pk, "action-title": "Dépistage", "action-status": "planned",
         "action-start_date": "2026-05-01", "action-end_date": "2026-04-01"},
    )  # fmt: skip
    assert bad.status_code == 200 and "échéance doit suivre la date de début." in bad.text
    good = client.post(
        f"/projet-de-sante/versions/{version.number}/",
        {"form": "action", "action-axis": axis.pk, "action-title": "Dépistage", "action-status": "planned",
         "action-start_date": "2026-05-01", "action-end_date": "2026-09-01", "action-budget": "3500"},
    )  # fmt: skip
    assert good.status_code == 302
    with schema_context("alpha"):
        assert Action.objects.get(title="Dépistage").budget == Decimal("3500")
