"""Shared set-up of the access-to-care benchmarks (``access_desk.py``, ``roster_week.py``): a
throw-away CPTS with a territory, a team member signed in with a passed second factor, professional
accounts created in bulk; each page measured next to its floor (its own SELECTs replayed alone);
everything deleted at the end. Import after ``django.setup()``."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.accounts.middleware import SESSION_COMMUNITY_KEY
from apps.geo.models import CommuneCentre
from apps.members.models import Membership
from apps.professionals.models import AccountCommunity, ProfessionalProfile
from apps.territory.models import TerritoryCommune
from tenants.models import Community
from tenants.provisioning import CommunityRequest, provision_community

# Communes of the Sully-sur-Loire area (Loiret); their real centres come with the communes
# reference (``migrate_platform`` loads ``apps/geo/data/centres.csv.gz``).
COMMUNES = (
    "45315",
    "45297",
    "45270",
    "45244",
    "45051",
    "45042",
    "45290",
    "45122",
    "45153",
    "45063",
    "45336",
    "45164",
)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(round(0.95 * len(ordered))) - 1, 0)]


@dataclass
class BenchCpts:
    slug: str
    host: str
    stamp: int
    team: object
    professionals: list = field(default_factory=list)

    def team_client(self) -> Client:
        """The team member signed in on the CPTS's host, second factor passed."""
        client = Client(HTTP_HOST=self.host)
        client.force_login(self.team)
        device = TOTPDevice.objects.create(user=self.team, confirmed=True, name="bench")
        session = client.session
        session[SESSION_COMMUNITY_KEY] = self.slug
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client


@contextmanager
def bench_cpts(prefix: str, *, professionals: int, communes=COMMUNES, dues_exempt: bool = True):
    """A CPTS ``<prefix><timestamp>`` whose territory is ``communes``, a team member, and
    ``professionals`` GP member accounts (members à jour by exemption unless ``dues_exempt`` is
    False); deleted with its accounts on exit. Fails at once when the commune centres are missing
    (run ``manage.py migrate_platform`` first)."""
    missing = set(communes) - set(
        CommuneCentre.objects.filter(code__in=communes).values_list("code", flat=True)
    )
    assert not missing, f"no centre for {sorted(missing)}: run manage.py migrate_platform first"
    stamp = int(time.time())
    slug = f"{prefix}{stamp}"
    users = get_user_model().objects
    operator = users.create_user(f"op{stamp}@bench.test", None, is_operator=True)
    provision_community(
        actor=operator,
        request=CommunityRequest(slug=slug, name="CPTS Banc d'essai", admin_email=f"admin{stamp}@bench.test"),
    )
    team = users.create_user(f"team{stamp}@bench.test", None)
    unusable = make_password(None)
    pros = users.bulk_create(
        [
            get_user_model()(email=f"pro{stamp}-{i}@bench.test", password=unusable, last_name=f"Pro{i}")
            for i in range(professionals)
        ]
    )
    ProfessionalProfile.objects.bulk_create(
        ProfessionalProfile(user=p, profession="10", practice_mode="L", practice_place="Cabinet", commune="Sully", identifier_type="none")
        for p in pros
    )  # fmt: skip
    try:
        with schema_context(slug):
            TerritoryCommune.objects.bulk_create(TerritoryCommune(commune_id=code) for code in communes)
            Membership.objects.create(user=team, role="team")
            Membership.objects.bulk_create(
                Membership(user=p, role="member", dues_exempt=dues_exempt) for p in pros
            )
        yield BenchCpts(slug=slug, host=f"{slug}.localhost", stamp=stamp, team=team, professionals=pros)
    finally:
        connection.set_schema_to_public()
        Community.objects.filter(schema_name=slug).first().delete(force_drop=True)
        # The accounts live in public; a cascading ORM delete would look for tenant tables there.
        ids = list(
            users.filter(email__endswith="@bench.test", email__contains=str(stamp)).values_list(
                "pk", flat=True
            )
        )
        ProfessionalProfile.objects.filter(user_id__in=ids).delete()
        TOTPDevice.objects.filter(user_id__in=ids).delete()
        AccountCommunity.objects.filter(user_id__in=ids).delete()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {get_user_model()._meta.db_table} WHERE id = ANY(%s)", [ids])
        except DatabaseError as error:
            print(f"bench accounts left in place: {error}")


@dataclass
class Measure:
    page_ms: list[float]
    floor_ms: list[float]
    statements: list[str]
    inserts: list[str]
    size: int

    def line(self, name: str) -> str:
        return (
            f"{name}: p95 {p95(self.page_ms):.1f} ms, median {statistics.median(self.page_ms):.1f} ms; its SQL "
            f"alone ({len(self.statements)} SELECT) p95 {p95(self.floor_ms):.1f} ms; page {self.size // 1024} KiB"
        )


def measure(client: Client, url: str, samples: int, slug: str) -> Measure:
    """The page through the client (whole middleware stack) ``samples`` times, then its SELECTs
    alone on the same connection (the floor)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page_ms = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(url)
        page_ms.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with schema_context(slug), CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    floor_ms = []
    with schema_context(slug):
        for _ in range(samples):
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()
            floor_ms.append((time.perf_counter() - began) * 1000)
    return Measure(page_ms, floor_ms, statements, inserts, len(response.content))


def print_statements(statements: list[str], slug: str) -> None:
    """Each SELECT alone (median of 10 runs), slowest first: where the floor goes."""
    timed = []
    with schema_context(slug), connection.cursor() as cursor:
        for sql in statements:
            times = []
            for _ in range(10):
                began = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                times.append((time.perf_counter() - began) * 1000)
            timed.append((statistics.median(times), sql))
    for ms, sql in sorted(timed, reverse=True):
        print(f"  {ms:7.2f} ms  {' '.join(sql.split())[:200]}")
