"""Second factor for CPTS accounts: optional for anyone from "Mon compte", required of a CPTS's
team and admins once one of its admins says so (that CPTS only)."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.members.models import SecurityPolicy
from apps.members.services import grant_role
from tests.accounts.test_two_factor import current_code
from tests.conftest import HOST_A, HOST_B, verified_operator_client

ENROL = "/compte/double-authentification/activer/"
VERIFY = "/compte/double-authentification/"


def require_in(schema: str, required: bool = True) -> None:
    with schema_context(schema):
        SecurityPolicy.objects.update_or_create(pk=1, defaults={"staff_two_factor_required": required})


def policy(schema: str) -> bool:
    with schema_context(schema):
        return SecurityPolicy.objects.filter(pk=1, staff_two_factor_required=True).exists()


@pytest.fixture
def tina(world, db):
    """A team member of A."""
    user = get_user_model().objects.create_user("tina@test.fr", "x" * 12, first_name="Tina")
    with schema_context("alpha"):
        grant_role(user=user, role="team")
    return user


def test_any_member_enrols_from_mon_compte_and_sees_it_on(bob, client_as):
    client = client_as(bob, HOST_A)
    page = client.get("/compte/securite/")
    assert page.status_code == 200 and "Désactivée" in page.text
    assert f'href="{ENROL}?next=/compte/securite/"' in page.text
    assert 'href="/compte/securite/">Mon compte</a>' in page.text  # in the header of every page

    enrol = client.get(f"{ENROL}?next=/compte/securite/")
    assert "<svg" in enrol.text and "Scannez ce QR code" in enrol.text
    assert "console opérateur" not in enrol.text
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    done = client.post(ENROL, {"token": current_code(device), "next": "/compte/securite/"})
    assert done.status_code == 302
    assert done["Location"] == "/compte/securite/codes-de-secours/?next=/compte/securite/"
    assert "Activée" in client.get("/compte/securite/").text
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_removing_the_second_factor_takes_a_current_code(bob, client_as):
    device = TOTPDevice.objects.create(user=bob, name="téléphone", confirmed=True)
    client = client_as(bob, HOST_A)
    wrong = client.post("/compte/securite/double-authentification/desactiver/", {"token": "000000"})
    assert wrong.status_code == 400 and "Code incorrect ou expiré" in wrong.text
    assert TOTPDevice.objects.filter(user=bob).count() == 1
    # django-otp refuses any code for 1 s after a failure (then 2 s, 4 s…): let that delay pass.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    right = client.post(
        "/compte/securite/double-authentification/desactiver/", {"token": current_code(device)}
    )
    assert right.status_code == 302 and right["Location"] == "/compte/securite/"
    assert not TOTPDevice.objects.filter(user=bob).exists()


def test_an_admin_must_have_passed_the_second_factor_to_require_it(alice, client_as):
    plain = client_as(alice, HOST_A)
    refused = plain.post("/equipe/securite/", {"staff_two_factor_required": "on"})
    assert refused.status_code == 400
    assert refused.text.count("Activez d&#x27;abord la double authentification") == 1
    assert policy("alpha") is False

    verified = verified_operator_client(alice, HOST_A)
    done = verified.post("/equipe/securite/", {"staff_two_factor_required": "on"}, follow=True)
    assert done.status_code == 200 and "est désormais exigée" in done.text
    assert policy("alpha") is True
    with schema_context("alpha"):
        assert SecurityPolicy.objects.get(pk=1).changed_by_id == alice.pk


def test_when_required_unverified_staff_are_sent_to_the_second_factor_and_members_are_not(
    alice, bob, tina, client_as
):
    require_in("alpha")
    team = client_as(tina, HOST_A)
    to_enrol = team.get("/equipe/")
    assert to_enrol.status_code == 302 and to_enrol["Location"] == f"{ENROL}?next=%2Fequipe%2F"
    assert team.get("/").status_code == 302  # every page of this CPTS, not only the team's
    api = team.get("/api/v1/members/")
    assert api.status_code == 403 and "double authentification" in api.json()["detail"]
    account = team.get("/compte/securite/")
    assert account.status_code == 200 and "Cette CPTS exige la double authentification" in account.text

    device = TOTPDevice.objects.create(user=tina, name="téléphone", confirmed=True)
    assert team.get("/equipe/")["Location"] == f"{VERIFY}?next=%2Fequipe%2F"
    passed = team.post(VERIFY, {"token": current_code(device), "next": "/equipe/"})
    assert passed["Location"] == "/equipe/"
    assert team.get("/equipe/").status_code == 200

    assert client_as(bob, HOST_A).get("/mon-espace/").status_code == 200  # a plain member
    assert client_as(alice, HOST_A).get("/equipe/securite/").status_code == 302  # admins too


def test_staff_cannot_remove_a_second_factor_their_cpts_requires(alice):
    require_in("alpha")
    client = verified_operator_client(alice, HOST_A)
    device = TOTPDevice.objects.get(user=alice, confirmed=True)
    page = client.get("/compte/securite/")
    assert "ne peut pas être désactivée ici" in page.text
    refused = client.post(
        "/compte/securite/double-authentification/desactiver/", {"token": current_code(device)}
    )
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_the_requirement_is_per_cpts(charlie, tina, client_as):
    require_in("alpha")
    with schema_context("beta"):
        grant_role(user=charlie, role="team")
    assert client_as(charlie, HOST_B).get("/equipe/").status_code == 200
    assert client_as(tina, HOST_A).get("/equipe/").status_code == 302


def test_charlie_gets_404_and_bob_403_on_the_access_rules_and_change_nothing(bob, charlie, client_as):
    for user, expected in ((charlie, 404), (bob, 403)):
        client = client_as(user, HOST_A)
        assert client.get("/equipe/securite/").status_code == expected
        assert client.post("/equipe/securite/", {"staff_two_factor_required": "on"}).status_code == expected
    assert policy("alpha") is False


def test_a_fragment_request_of_unverified_staff_sends_the_whole_page_to_the_code(tina, client_as):
    require_in("alpha")
    TOTPDevice.objects.create(user=tina, name="téléphone", confirmed=True)
    team = client_as(tina, HOST_A)
    fragment = team.get(
        "/equipe/annuaire/imports/1/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://alpha.localhost/equipe/annuaire/?onglet=imports",
        },
    )
    assert fragment.status_code == 204 and fragment.content == b""
    assert fragment["HX-Redirect"] == f"{VERIFY}?next=%2Fequipe%2Fannuaire%2F%3Fonglet%3Dimports"


def test_a_factor_another_cpts_requires_cannot_be_removed_from_here(charlie, client_as):
    with schema_context("alpha"):
        grant_role(user=charlie, role="team")
    require_in("alpha")
    device = TOTPDevice.objects.create(user=charlie, name="téléphone", confirmed=True)
    on_b = client_as(charlie, HOST_B)  # B requires nothing, A does
    refused = on_b.post(
        "/compte/securite/double-authentification/desactiver/", {"token": current_code(device)}
    )
    assert refused.status_code == 400 and "CPTS Alpha exige la double authentification" in refused.text
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
