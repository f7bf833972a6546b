"""Login throttling (django-axes): repeated failures for one e-mail from one address suspend its
logins for a while, with a French page; other addresses, and a success, are not held back."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings

from cpts_platform.client_ip import client_ip
from tests.conftest import HOST_A, PASSWORD

LOGIN = "/compte/connexion/"


def _attempt(password: str, *, email: str = "bob@test.fr", address: str = "203.0.113.7", **headers):
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR=address, **headers)
    response = client.post(LOGIN, {"username": email, "password": password})
    return response, client


def _fail(times: int, **kwargs) -> list[int]:
    return [_attempt("pas-le-bon-mot-de-passe", **kwargs)[0].status_code for _ in range(times)]


def test_five_failures_suspend_the_account_from_that_address(bob, settings):
    limit = settings.AXES_FAILURE_LIMIT
    # The form again with its error, until the failure that reaches the limit.
    assert _fail(limit) == [200] * (limit - 1) + [429]
    response, client = _attempt(PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion temporairement suspendue" in page and "15 minutes" in page
    assert "/compte/mot-de-passe/oubli/" in page
    assert "_auth_user_id" not in client.session
    # Another address is not held back, nor is the account for it.
    other, other_client = _attempt(PASSWORD, address="198.51.100.20")
    assert other.status_code == 302 and "_auth_user_id" in other_client.session


def test_the_count_ignores_the_case_of_the_email(bob, settings):
    assert set(_fail(settings.AXES_FAILURE_LIMIT - 1, email="BOB@test.fr")) == {200}
    assert _fail(1, email="bob@TEST.fr") == [429]
    response, _client = _attempt(PASSWORD)
    assert response.status_code == 429


def test_a_success_resets_the_count(bob, settings):
    assert set(_fail(settings.AXES_FAILURE_LIMIT - 1)) == {200}
    assert _attempt(PASSWORD)[0].status_code == 302
    assert set(_fail(settings.AXES_FAILURE_LIMIT - 1)) == {200}
    assert _attempt(PASSWORD)[0].status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.2"),  # no proxy: a client-sent header is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the spoofed left part is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.2"),  # fewer entries than proxies: not trusted
        (1, "pas-une-adresse", "10.0.0.2"),  # garbage is not an address
        (1, "2001:db8:1:2:aaaa::5", "2001:db8:1:2::"),  # an IPv6 visitor counts as their /64
    ],
)
def test_the_visitor_address_behind_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_behind_a_proxy_each_visitor_has_its_own_count(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    assert _fail(settings.AXES_FAILURE_LIMIT, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")[-1] == 429
    locked, _client = _attempt(PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert locked.status_code == 429
    other, _client = _attempt(PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 302


def test_the_header_is_read_only_for_requests_from_the_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    through_proxy = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="10.0.0.2")
    direct = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="203.0.113.9")
    assert client_ip(through_proxy) == "198.51.100.1"
    assert client_ip(direct) == "203.0.113.9"


def test_addresses_of_one_ipv6_slash_64_share_one_failure_count(bob, settings):
    limit = settings.AXES_FAILURE_LIMIT
    codes = [
        _attempt("pas-le-bon-mot-de-passe", address=f"2001:db8:1:2::{i + 1:x}")[0].status_code
        for i in range(limit)
    ]
    assert codes[-1] == 429
