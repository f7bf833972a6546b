"""Operators must pass a TOTP second factor before the console opens."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PLATFORM_HOST


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_an_operator_without_a_device_is_asked_to_enrol_then_gets_the_console(operator, client_as):
    client = client_as(operator, PLATFORM_HOST)
    first = client.get("/console/", follow=True)
    assert first.redirect_chain[-1][0].startswith("/compte/double-authentification/activer/")
    assert "<svg" in first.text and "Scannez ce QR code" in first.text
    device = TOTPDevice.objects.get(user=operator, confirmed=False)

    assert client.get("/console/").status_code == 302
    ok = client.post(
        "/compte/double-authentification/activer/", {"token": current_code(device), "next": "/console/"}
    )
    # Enrolment shows the recovery codes once, then leads on to the console.
    assert ok.status_code == 302 and ok["Location"] == "/compte/securite/codes-de-secours/?next=/console/"
    codes = client.get(ok["Location"])
    assert codes.text.count("<li><code>") == 10 and 'href="/console/"' in codes.text
    assert client.get("/console/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_an_enrolled_operator_enters_a_code_once_per_session(operator, client_as):
    device = TOTPDevice.objects.create(user=operator, name="téléphone", confirmed=True)
    client = client_as(operator, PLATFORM_HOST)
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/double-authentification/")
    client.post("/compte/double-authentification/", {"token": current_code(device), "next": "/console/"})
    assert client.get("/console/").status_code == 200


def test_the_next_parameter_cannot_send_the_operator_elsewhere(operator, client_as):
    device = TOTPDevice.objects.create(user=operator, name="téléphone", confirmed=True)
    client = client_as(operator, PLATFORM_HOST)
    response = client.post(
        "/compte/double-authentification/", {"token": current_code(device), "next": "https://pirate.example/"}
    )
    assert response["Location"] == "/console/"


def test_a_wrong_code_is_refused_in_french_and_the_console_stays_closed(operator, client_as):
    TOTPDevice.objects.create(user=operator, name="téléphone", confirmed=True)
    client = client_as(operator, PLATFORM_HOST)
    wrong = client.post("/compte/double-authentification/", {"token": "12345", "next": "/console/"})
    assert wrong.status_code == 200
    assert "Code incorrect ou expiré" in wrong.text
    assert client.get("/console/").status_code == 302
