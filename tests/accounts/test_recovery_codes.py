"""Recovery codes: ten single-use codes shown once at enrolment, so that a lost phone does not lock
a CPTS's staff out where the second factor is required."""

from __future__ import annotations

import re

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_staff_two_factor import ENROL, VERIFY, require_in, tina  # noqa: F401 (fixture)
from tests.accounts.test_two_factor import current_code
from tests.conftest import HOST_A

CODES = "/compte/securite/codes-de-secours/"


def _enrol(client, user) -> list[str]:
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(ENROL, {"token": current_code(device), "next": "/compte/securite/"})
    page = client.get(done["Location"])
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", page.text)


def _next_time_step(device: TOTPDevice) -> None:
    """Let the current app code be used again (django-otp refuses a code twice, and slows down
    after a wrong one): as if the test waited for the next 30 s step."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_timestamp=None, throttling_failure_count=0
    )


def test_enrolment_shows_ten_recovery_codes_once(bob, client_as):
    client = client_as(bob, HOST_A)
    codes = _enrol(client, bob)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get(CODES)
    assert "<li><code>" not in again.text and "Il vous reste 10 codes de secours" in again.text
    assert (
        "Codes de secours (si vous perdez votre téléphone) : il vous en reste 10"
        in client.get("/compte/securite/").text
    )


def test_a_lost_phone_staff_member_gets_in_with_a_recovery_code_once(tina, client_as):  # noqa: F811
    require_in("alpha")
    codes = _enrol(client_as(tina, HOST_A), tina)
    later = client_as(tina, HOST_A)  # a new session, the phone is gone
    assert later.get("/equipe/")["Location"].startswith(VERIFY)
    passed = later.post(VERIFY, {"token": codes[0].upper(), "next": "/equipe/"})
    assert passed.status_code == 302 and passed["Location"] == "/equipe/"
    assert later.get("/equipe/").status_code == 200
    assert "il vous en reste 9" in later.get("/compte/securite/").text
    reused = client_as(tina, HOST_A).post(VERIFY, {"token": codes[0], "next": "/equipe/"})
    assert reused.status_code == 200 and "Code incorrect" in reused.text


def test_new_codes_take_a_current_app_code_and_void_the_old_ones(bob, client_as):
    client = client_as(bob, HOST_A)
    old = _enrol(client, bob)
    refused = client.post(CODES, {"token": old[0]})
    assert refused.status_code == 400 and "Code incorrect" in refused.text
    device = TOTPDevice.objects.get(user=bob, confirmed=True)
    _next_time_step(device)
    renewed = client.post(CODES, {"token": current_code(device)})
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", renewed.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_removing_the_second_factor_removes_the_recovery_codes(bob, client_as):
    client = client_as(bob, HOST_A)
    _enrol(client, bob)
    device = TOTPDevice.objects.get(user=bob, confirmed=True)
    _next_time_step(device)
    removed = client.post(
        "/compte/securite/double-authentification/desactiver/", {"token": current_code(device)}
    )
    assert removed.status_code == 302
    assert not StaticDevice.objects.filter(user=bob).exists()


def test_a_recovery_code_only_opens_its_own_account(bob, alice, client_as):
    codes = _enrol(client_as(bob, HOST_A), bob)
    TOTPDevice.objects.create(user=alice, name="téléphone", confirmed=True)
    other = client_as(alice, HOST_A).post(VERIFY, {"token": codes[1], "next": "/"})
    assert other.status_code == 200 and "Code incorrect" in other.text
    assert StaticToken.objects.filter(token=codes[1]).exists()


def test_an_account_that_turned_the_second_factor_on_is_asked_for_it_at_every_new_session(bob, client_as):
    _enrol(client_as(bob, HOST_A), bob)
    later = client_as(bob, HOST_A)  # password only
    page = later.get("/mon-espace/")
    assert page.status_code == 302 and page["Location"] == f"{VERIFY}?next=%2Fmon-espace%2F"
    api = later.get("/api/v1/me")
    assert api.status_code == 403 and "double authentification" in api.json()["detail"]
    device = TOTPDevice.objects.get(user=bob, confirmed=True)
    _next_time_step(device)
    assert later.post(VERIFY, {"token": current_code(device), "next": "/mon-espace/"}).status_code == 302
    assert later.get("/mon-espace/").status_code == 200


def test_a_lost_phone_is_replaced_after_a_recovery_code_and_the_password(tina, client_as):  # noqa: F811
    require_in("alpha")
    codes = _enrol(client_as(tina, HOST_A), tina)
    old = TOTPDevice.objects.get(user=tina, confirmed=True)
    not_yet = client_as(tina, HOST_A).get("/compte/securite/nouveau-telephone/")
    assert not_yet.status_code == 302 and not_yet["Location"] == "/compte/securite/"
    later = client_as(tina, HOST_A)
    later.post(VERIFY, {"token": codes[0], "next": "/equipe/"})
    wrong = later.post("/compte/securite/nouveau-telephone/", {"password": "pas-le-bon"})
    assert wrong.status_code == 200 and "Mot de passe incorrect" in wrong.text
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    replaced = later.post("/compte/securite/nouveau-telephone/", {"password": "x" * 12})
    assert replaced.status_code == 302 and replaced["Location"].startswith(ENROL)
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert "Scannez ce QR code" in later.get(replaced["Location"]).text


def test_a_recovery_code_made_of_digits_only_still_works(bob, client_as):
    _enrol(client_as(bob, HOST_A), bob)
    device = StaticDevice.objects.get(user=bob)
    StaticToken.objects.create(device=device, token="23456723")
    later = client_as(bob, HOST_A)
    assert later.post(VERIFY, {"token": "23456723", "next": "/mon-espace/"}).status_code == 302
    assert later.get("/mon-espace/").status_code == 200
