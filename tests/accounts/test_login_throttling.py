"""Login throttling (django-axes): repeated failures for one e-mail from one address suspend its
logins for a while, with a French page; other addresses, and a success, are not held back. One
account guessed from many addresses, and one address trying many accounts, are capped too; the
invitation page's password check is counted and held back the same way."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory, override_settings
from django_tenants.utils import schema_context

from apps.members.models import Membership
from tenants.client_ip import client_ip
from tests.accounts.test_invitations import invite_from_team_space, link_in
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


def _addresses(count: int) -> list[str]:
    return [f"198.51.100.{i + 1}" for i in range(count)]


def test_one_account_guessed_from_many_addresses_is_suspended_everywhere(bob, settings, mailoutbox):
    per_pair, per_account = settings.AXES_FAILURE_LIMIT, settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    assert (per_pair, per_account) == (5, 20)
    # Each address stays under the pair's cap: only the account-wide cap can stop this.
    codes = []
    for address in _addresses(per_account // (per_pair - 1)):
        codes += _fail(per_pair - 1, address=address)
    assert codes == [200] * (per_account - 1) + [429]
    # Held back from an address that never failed, even with the right password.
    locked, client = _attempt(PASSWORD, address="192.0.2.200")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "depuis plusieurs adresses" in page and "lève la suspension aussitôt" in page
    # Another account is not affected.
    assert _attempt(PASSWORD, email="alice@test.fr", address="192.0.2.200")[0].status_code == 302
    # The owner resets the password by e-mail: the suspension is lifted at once.
    reset = Client(HTTP_HOST=HOST_A)
    reset.post("/compte/mot-de-passe/oubli/", {"email": "bob@test.fr"})
    link = re.search(r"http://\S+/compte/mot-de-passe/nouveau/\S+/", mailoutbox[-1].body).group(0)
    form_url = reset.get(link.split(HOST_A, 1)[1], follow=True).redirect_chain[-1][0]
    new_password = "nouveau-mot-de-passe-2026"
    done = reset.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert _attempt(new_password, address="192.0.2.200")[0].status_code == 302


def test_one_address_trying_many_accounts_is_suspended_for_every_account(bob, settings):
    per_address = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert per_address == 30
    spray = "203.0.113.66"
    codes = [
        _attempt("pas-le-bon-mot-de-passe", email=f"personne{i}@test.fr", address=spray)[0].status_code
        for i in range(per_address)
    ]
    assert codes == [200] * (per_address - 1) + [429]
    # Every account is held back from that address, even with its right password…
    locked, client = _attempt(PASSWORD, address=spray)
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    assert "depuis votre connexion internet, sur plusieurs comptes" in locked.content.decode()
    # …and not from another address.
    assert _attempt(PASSWORD, address="198.51.100.9")[0].status_code == 302


def test_logging_into_ones_own_account_does_not_clear_the_address_count(bob, settings):
    per_address = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    spray = "203.0.113.67"
    for i in range(per_address - 1):
        _attempt("pas-le-bon-mot-de-passe", email=f"personne{i}@test.fr", address=spray)
    # The sprayer signs into an account it holds: its own pair is cleared, the address count is not.
    assert _attempt(PASSWORD, address=spray)[0].status_code == 302
    assert _fail(1, email="encore@test.fr", address=spray) == [429]


def test_the_invitation_password_check_is_counted_and_held_back_like_the_login(
    charlie, community_a, alice, client_as, mailoutbox, django_capture_on_commit_callbacks, settings
):
    invite_from_team_space(
        client_as(alice, HOST_A), "charlie@test.fr", "member", django_capture_on_commit_callbacks
    )
    path = link_in(mailoutbox[-1]).split(HOST_A, 1)[1]
    guesser = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="203.0.113.8")
    codes = [
        guesser.post(path, {"password": f"essai-{i}"}).status_code for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    # The right password is held back too, and the invitation is not used.
    locked = guesser.post(path, {"password": PASSWORD})
    assert locked.status_code == 429 and "Connexion temporairement suspendue" in locked.content.decode()
    with schema_context(community_a.schema_name):
        assert not Membership.objects.filter(user=charlie).exists()
    # The same count holds the login page back for that e-mail from that address.
    assert _attempt(PASSWORD, email="charlie@test.fr", address="203.0.113.8")[0].status_code == 429
    # From elsewhere, the owner accepts with the right password.
    owner = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="198.51.100.30")
    assert owner.post(path, {"password": PASSWORD}).status_code == 302
    with schema_context(community_a.schema_name):
        assert Membership.objects.filter(user=charlie).exists()
