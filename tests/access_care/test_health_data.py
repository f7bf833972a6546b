"""Health data treated as such: encryption at rest, rotation, the blind duplicate index, the
append-only access log, the module's switch, access by permission with a second factor."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from apps.access_care import crypto, services
from apps.access_care.models import AccessLog, DeskSettings, PatientRequest
from apps.accounts.hooks import second_factor_reason
from apps.audit.models import AuditEvent
from apps.members.selectors import get_membership
from tests.access_care.conftest import submit
from tests.conftest import HOST_A, HOST_B, verified_operator_client

NEW_KEY = "k2:" + base64.b64encode(b"n" * 32).decode()


def _raw_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM access_care_patientrequest")
        return [" ".join(str(v) for v in row) for row in cursor.fetchall()]


def test_the_raw_table_holds_no_plaintext_name_birth_date_or_criterion(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit(criteria=("ald", "pregnancy"), helper="Marie Lefèvre (fille)")
        raw = " ".join(_raw_rows())
        assert str(request.pk) in raw
        for secret in (
            "Lefèvre",
            "Jeanne",
            "1948-05-17",
            "ald",
            "pregnancy",
            "06 12 34 56 78",
            "jeanne.lefevre",
        ):
            assert secret not in raw, secret
        again = PatientRequest.objects.get(pk=request.pk)
        assert (again.last_name, again.birth_date_text, again.criteria) == (
            "Lefèvre",
            "1948-05-17",
            ["ald", "pregnancy"],
        )


def test_a_value_copied_into_another_column_does_not_decrypt(desk, community_a):
    value = crypto.encrypt("Lefèvre", field="last_name")
    assert crypto.decrypt(value, field="last_name") == "Lefèvre"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(value, field="first_name")


def test_after_a_rotation_old_values_still_read_and_the_command_rewrites_them(desk, community_a, settings):
    with schema_context(community_a.schema_name):
        request = submit()
        old_key = crypto.key_id_of(_raw_rows()[0].split()[0]) or settings.ACCESS_CARE_KEYS[0].split(":")[0]
        settings.ACCESS_CARE_KEYS = [NEW_KEY, *settings.ACCESS_CARE_KEYS]
        assert PatientRequest.objects.get(pk=request.pk).last_name == "Lefèvre"
        assert services.reencrypt_all() == 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_name, birth_date_text FROM access_care_patientrequest WHERE id = %s",
                [request.pk],
            )
            values = cursor.fetchone()
        assert {crypto.key_id_of(v) for v in values} == {"k2"}
        assert old_key != "k2"
        assert services.reencrypt_all() == 0
        # The old key can go: everything reads with the new one alone.
        settings.ACCESS_CARE_KEYS = [NEW_KEY]
        assert PatientRequest.objects.get(pk=request.pk).first_name == "Jeanne"


def test_same_name_and_birth_date_are_flagged_as_a_possible_duplicate_never_merged(desk, community_a):
    with schema_context(community_a.schema_name):
        first = submit()
        second = submit(last_name="LEFEVRE", first_name="jeanne", phone="07 00 00 00 00")
        other = submit(birth_date=first.birth_date.replace(year=1950))
        assert second.possible_duplicate_of_id == first.pk
        assert other.possible_duplicate_of_id is None
        assert PatientRequest.objects.count() == 3
        assert first.identity_index == second.identity_index and "lefevre" not in first.identity_index


def test_the_access_log_is_append_only(desk, community_a):
    with schema_context(community_a.schema_name):
        services.log_access(actor=desk.dora, action="view", request_id=1)
        row = AccessLog.objects.get()
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLog.objects.filter(pk=row.pk).update(action="nothing")
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLog.objects.filter(pk=row.pk).delete()
        assert AccessLog.objects.get().action == "view"


def test_access_log_rows_older_than_twelve_months_are_purged(desk, community_a):
    with schema_context(community_a.schema_name):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO access_care_accesslog (at, action, user_email, detail, ip) "
                "VALUES (now() - interval '13 months', 'view', '', '', '')"
            )
        services.log_access(actor=desk.dora, action="view", request_id=1)
        assert services.purge_access_log() == 1
        assert list(AccessLog.objects.values_list("action", flat=True)) == ["view"]


def test_every_read_of_a_request_writes_an_access_log_row(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        first, second = submit(), submit(last_name="Martin")
        AccessLog.objects.all()  # the two creations are logged too
        before = AccessLog.objects.count()
    assert dora_client.get(reverse("access_care:queue")).status_code == 200
    assert dora_client.get(reverse("access_care:request", args=[first.pk])).status_code == 200
    with schema_context(community_a.schema_name):
        rows = list(
            AccessLog.objects.order_by("pk")[before:].values_list("user_email", "action", "request_id", "ip")
        )
    assert sorted(rows) == sorted(
        [
            ("dora@test.fr", "list", first.pk, "127.0.0.1"),
            ("dora@test.fr", "list", second.pk, "127.0.0.1"),
            ("dora@test.fr", "view", first.pk, "127.0.0.1"),
        ]
    )


def test_admins_read_the_access_log(desk, community_a, client_as, alice):
    with schema_context(community_a.schema_name):
        submit()
    response = client_as(alice, HOST_A).get(reverse("access_care:access_log"))
    assert response.status_code == 200
    assert "formulaire public" in response.content.decode()


# --- Who may open the desk ---------------------------------------------------------------------------


def _desk_urls(pk: int) -> list[tuple[str, str]]:
    get = [
        "access_care:queue",
        "access_care:request_new",
        "access_care:capacity",
        "access_care:settings",
        "access_care:permissions",
        "access_care:access_log",
    ]
    with_pk = ["access_care:request", "access_care:request_edit", "access_care:request_export"]
    posts = ["access_care:request_status", "access_care:request_propose", "access_care:request_erase"]
    urls = [("GET", reverse(name)) for name in get]
    urls += [("GET", reverse(name, args=[pk])) for name in with_pk]
    urls += [("POST", reverse(name, args=[pk])) for name in posts]
    urls += [("POST", reverse("access_care:request_new")), ("POST", reverse("access_care:permissions"))]
    return urls


def _snapshot(schema: str):
    with schema_context(schema):
        return (
            list(PatientRequest.objects.values_list("pk", "status", "anonymised_at", "priority")),
            AccessLog.objects.exclude(action="list").count(),
        )


def test_charlie_of_another_cpts_gets_404_everywhere_and_changes_nothing(
    desk, community_a, client_as, charlie
):
    with schema_context(community_a.schema_name):
        request = submit()
    before = _snapshot(community_a.schema_name)
    client = client_as(charlie, HOST_A)
    for method, url in _desk_urls(request.pk):
        response = (
            client.post(url, {"status": "closed", "gp": desk.gaston.pk, "user": charlie.pk, "grant": "1"})
            if method == "POST"
            else client.get(url)
        )
        assert response.status_code == 404, (method, url, response.status_code)
    assert _snapshot(community_a.schema_name) == before
    # And charlie's own CPTS has no such request.
    assert client_as(charlie, HOST_B).get(reverse("access_care:request", args=[request.pk])).status_code in (
        403,
        404,
    )


@pytest.mark.parametrize("who", ["bob", "tina"])
def test_a_plain_member_and_a_team_member_without_the_permission_get_403(
    who, desk, community_a, client_as, bob
):
    with schema_context(community_a.schema_name):
        request = submit()
    before = _snapshot(community_a.schema_name)
    user = bob if who == "bob" else desk.tina
    client = client_as(user, HOST_A)
    team_only = _desk_urls(request.pk)
    if who == "tina":  # the admin pages are asked of admins: tina is refused there as a team member
        team_only = [(m, u) for m, u in team_only if "autorisations" not in u and "journal" not in u]
    for method, url in team_only:
        response = client.post(url, {"status": "closed"}) if method == "POST" else client.get(url)
        assert response.status_code == 403, (who, method, url, response.status_code)
    assert _snapshot(community_a.schema_name) == before


def test_a_permission_holder_must_pass_the_second_factor_first(desk, community_a, client_as):
    response = client_as(desk.dora, HOST_A).get(reverse("access_care:queue"))
    assert response.status_code == 302
    assert (
        response["Location"].startswith("/compte/double-authentification/")
        or "two" in response["Location"]
        or "authentification" in response["Location"]
    )


def test_holders_of_the_permission_cannot_drop_their_second_factor(desk, community_a, rf):
    request = rf.get("/")
    request.user = desk.dora
    with schema_context(community_a.schema_name):
        request.membership = get_membership(desk.dora)
        assert "double authentification est obligatoire" in second_factor_reason(request)
        request.user = desk.tina
        request.membership = get_membership(desk.tina)
        assert second_factor_reason(request) == ""


def test_the_admin_grants_and_revokes_the_permission(desk, community_a, client_as, alice):
    client = client_as(alice, HOST_A)
    assert (
        client.post(reverse("access_care:permissions"), {"user": desk.tina.pk, "grant": "1"}).status_code
        == 302
    )
    with schema_context(community_a.schema_name):
        assert services.has_permission(desk.tina)
    client.post(reverse("access_care:permissions"), {"user": desk.tina.pk, "grant": "0"})
    with schema_context(community_a.schema_name):
        assert not services.has_permission(desk.tina)
        lines = AuditEvent.objects.filter(action="desk.permission_changed", target_id=str(desk.tina.pk))
        assert [line.details["granted"] for line in lines.order_by("pk")] == [True, False]
        with pytest.raises(ValidationError):
            services.grant_permission(actor=alice, user=desk.gaston)


def test_the_module_is_off_by_default_and_the_team_reads_why(community_a, client_as, alice, hds):
    with schema_context(community_a.schema_name):
        assert not services.is_enabled()
    for name in ("access_care:queue", "access_care:permissions"):
        response = client_as(alice, HOST_A).get(reverse(name))
        assert response.status_code == 200
        assert "module non activé" in response.content.decode()
        assert "hébergeur certifié" in response.content.decode()
    anonymous = Client(HTTP_HOST=HOST_A)
    assert anonymous.get(reverse("access_care:request_form")).status_code == 404


def test_without_hds_hosting_the_operator_cannot_switch_it_on(community_a, settings):
    settings.HDS_HOSTING = False
    with schema_context(community_a.schema_name):
        with pytest.raises(ValidationError, match="HDS"):
            services.set_enabled(operator_email="operator@test.fr", enabled=True)
        assert not DeskSettings.objects.filter(enabled=True).exists()
        settings.HDS_HOSTING = True
        services.set_enabled(operator_email="operator@test.fr", enabled=True)
        assert services.is_enabled()
        # A switch left on while the platform stops declaring HDS hosting opens nothing.
        settings.HDS_HOSTING = False
        assert not services.is_enabled()


def test_opening_a_case_to_a_team_member_is_recorded_in_the_audit_log(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        request = submit()
    assert dora_client.get(reverse("access_care:request", args=[request.pk])).status_code == 200
    assert dora_client.get(reverse("access_care:request_edit", args=[request.pk])).status_code == 200
    # The queue shows rows without opening a case: the desk's own log has them, not the audit.
    assert dora_client.get(reverse("access_care:queue")).status_code == 200
    with schema_context(community_a.schema_name):
        lines = list(
            AuditEvent.objects.filter(action="desk.accessed").values_list(
                "actor_id", "target_type", "target_id", "target_label"
            )
        )
        assert (
            lines
            == [(desk.dora.pk, "access_care.patientrequest", str(request.pk), f"request {request.pk}")] * 2
        )
        assert AccessLog.objects.filter(action="view", request_id=request.pk).count() == 2


def test_a_refused_reader_opens_no_case_and_leaves_no_audit_line(desk, community_a, client_as, charlie):
    with schema_context(community_a.schema_name):
        request = submit()
    url = reverse("access_care:request", args=[request.pk])
    assert verified_operator_client(desk.tina, HOST_A).get(url).status_code == 403
    assert client_as(charlie, HOST_A).get(url).status_code == 404
    with schema_context(community_a.schema_name):
        assert not AuditEvent.objects.filter(action="desk.accessed").exists()
