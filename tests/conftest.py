"""Session set-up shared by every test.

Two CPTS are created once per session by cloning the template schema, with the personas of
CONVENTIONS.md: alice (admin of A), bob (member of A), charlie (member of B); bob and charlie
are members à jour (granted by the team without dues, apps.members.standing). They are committed,
so a real Celery worker process can see them too; each test's own writes are rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.middleware import SESSION_COMMUNITY_KEY

PASSWORD = "correct-horse-battery-staple"
HOST_A = "alpha.localhost"
HOST_B = "beta.localhost"
PLATFORM_HOST = "localhost"


@dataclass(frozen=True)
class World:
    a: object
    b: object
    alice: object
    bob: object
    charlie: object
    operator: object


def _build_world() -> World:
    from apps.members.services import grant_role
    from tenants.platform_setup import ensure_platform_site, migrate_template_schema
    from tenants.provisioning import CommunityRequest, provision_community

    ensure_platform_site()
    __import__("apps.geo.loading", fromlist=["*"]).load_references()
    migrate_template_schema()
    users = get_user_model().objects
    operator = users.create_user("operator@test.fr", PASSWORD, is_operator=True)
    alice = users.create_user("alice@test.fr", PASSWORD, first_name="Alice", last_name="Admin")
    bob = users.create_user("bob@test.fr", PASSWORD, first_name="Bob", last_name="Membre")
    charlie = users.create_user("charlie@test.fr", PASSWORD, first_name="Charlie", last_name="Autre")
    a = provision_community(
        actor=operator, request=CommunityRequest(slug="alpha", name="CPTS Alpha", admin_email="alice@test.fr")
    )
    b = provision_community(
        actor=operator, request=CommunityRequest(slug="beta", name="CPTS Bêta", admin_email="charlie@test.fr")
    )
    with schema_context(a.schema_name):
        grant_role(user=alice, role="admin")
        grant_role(user=bob, role="member", dues_exempt=True)
    with schema_context(b.schema_name):
        grant_role(user=charlie, role="member", dues_exempt=True)
    return World(a=a, b=b, alice=alice, bob=bob, charlie=charlie, operator=operator)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django creates the test database only when a collected test asks for ``db`` (or a
    ``django_db`` mark). Tests that only use a real worker reach it through ``world``, committed: run
    alone, they would find no test database. Create it then, and drop it at the end."""
    from django.test.utils import setup_databases, teardown_databases

    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        yield
        return
    with django_db_blocker.unblock():
        created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        teardown_databases(created, verbosity=0)


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker) -> World:
    with django_db_blocker.unblock():
        return _build_world()


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    """Each test starts on the public schema with an empty cache (Redis is not rolled back with
    the test's transaction; the cache has its own Redis database, apart from the broker's)."""
    from django.core.cache import cache

    connection.set_schema_to_public()
    cache.clear()
    yield
    connection.set_schema_to_public()


def _fresh(user):
    """The session's persona without the related rows an earlier test cached on it (its
    professional profile, ...): those rows were rolled back with that test."""
    user._state.fields_cache.clear()
    return user


@pytest.fixture
def community_a(world, db):
    return world.a


@pytest.fixture
def community_b(world, db):
    return world.b


@pytest.fixture
def alice(world, db):
    return _fresh(world.alice)


@pytest.fixture
def bob(world, db):
    return _fresh(world.bob)


@pytest.fixture
def charlie(world, db):
    return _fresh(world.charlie)


@pytest.fixture
def operator(world, db):
    return world.operator


def signed_in_client(user, host: str) -> Client:
    """A test client on ``host`` with ``user`` logged in there (session bound to that host's CPTS)."""
    from django_tenants.utils import get_tenant_domain_model

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    schema = get_tenant_domain_model().objects.select_related("tenant").get(domain=host).tenant.schema_name
    session = client.session
    session[SESSION_COMMUNITY_KEY] = schema
    session.save()
    return client


@pytest.fixture
def client_as():
    """client_as(user, host) → a client logged in as ``user`` on ``host``."""
    return signed_in_client


class MailCatcher:
    """The local SMTP catcher (infra/dev/mail_catcher.py, on aiosmtpd) in its own process: mail is
    sent to it through real SMTP, and read back through its JSON API."""

    def __init__(self, folder) -> None:
        import subprocess
        import sys

        from django.conf import settings

        self.smtp_port, self.http_port = _free_port(), _free_port()
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "infra" / "dev" / "mail_catcher.py"), "--dir", str(folder),
             "--smtp-port", str(self.smtp_port), "--http-port", str(self.http_port)],
            stdout=(folder.parent / "mail_catcher.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: self._answers(), timeout=20)

    def _answers(self) -> bool:
        import urllib.request

        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/api/messages", timeout=1).read()
        except OSError:
            return False
        return True

    @property
    def smtp_env(self) -> dict[str, str]:
        """A worker process's environment sending through SMTP to the catcher."""
        return {"TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.smtp_port)}  # fmt: skip

    def messages(self) -> list[dict]:
        """What the catcher received, oldest first (envelope, subject, headers, text, html)."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/api/messages", timeout=5) as response:
            return json.loads(response.read())

    def raw(self) -> list[str]:
        """Each received message as its raw text (the envelope lines left out), oldest first."""
        paths = sorted(self.folder.glob("*.eml"))
        return ["".join(p.read_text(errors="replace").splitlines(keepends=True)[2:]) for p in paths]

    def clear(self) -> None:
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/api/messages", method="DELETE")
        urllib.request.urlopen(request, timeout=5).read()  # noqa: S310 - http on loopback

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mail_catcher(tmp_path_factory):
    catcher = MailCatcher(tmp_path_factory.mktemp("mail-catcher") / "inbox")
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.fixture
def smtp_inbox(mail_catcher, settings):
    """This test's mail goes through real SMTP to the catcher (not the locmem outbox);
    ``smtp_inbox.messages()`` is what it received during the test."""
    mail_catcher.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_catcher.smtp_port
    settings.EMAIL_USE_TLS = False
    return mail_catcher


@dataclass
class RealWorker:
    """A Celery worker process consuming the test Redis and using the test database."""

    process: object
    mail_dir: object
    log_path: object
    catcher: MailCatcher | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent_mails(self) -> list[str]:
        """The raw e-mails this worker sent: received by the SMTP catcher when it sends there,
        else written as files."""
        if self.catcher is not None:
            return self.catcher.raw()
        return [path.read_text() for path in sorted(self.mail_dir.glob("*.log"))]


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; returns it, or raises TimeoutError."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


def start_worker(
    base,
    *,
    hostname: str,
    queues: str = "mail_priority,celery,mail",
    env: dict | None = None,
    catcher: MailCatcher | None = None,
) -> RealWorker:
    """Start a real ``celery worker`` process (solo pool) on the test database and Redis, consuming
    ``queues``, its e-mails written under ``base/mail`` (or, with ``catcher``, sent through SMTP
    to it); returns once it is ready. Stop it with ``stop_worker``; ``env`` overrides its
    environment (e.g. another e-mail backend)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    mail_dir = base / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    log_path = base / "worker.log"
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE="cpts_platform.settings.test",
        DATABASE_NAME=settings.DATABASES["default"]["NAME"],
        CELERY_TASK_ALWAYS_EAGER="0",
        TEST_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    # The runtime's mail server (EMAIL_URL) would win over the EMAIL_HOST/PORT given here.
    environment.pop("EMAIL_URL", None)
    environment.update(catcher.smtp_env if catcher is not None else {})
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cpts_platform", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--hostname", hostname, "--without-mingle", "--without-gossip",
         "--queues", queues],
        env=environment, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
    )  # fmt: skip
    worker = RealWorker(process=process, mail_dir=mail_dir, log_path=log_path, catcher=catcher)
    try:
        wait_until(lambda: b"ready." in log_path.read_bytes() or process.poll() is not None, timeout=90)
    except TimeoutError:
        stop_worker(worker)
        raise
    if process.poll() is not None:
        raise RuntimeError(f"the worker exited early:\n{worker.log()}")
    return worker


def stop_worker(worker: RealWorker) -> None:
    import subprocess

    if worker.process.poll() is not None:
        return
    worker.process.terminate()
    try:
        worker.process.wait(15)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(15)


@pytest.fixture(scope="session")
def _worker_process(world, tmp_path_factory, mail_catcher):
    """One real ``celery worker`` process for the whole session, started on first use; it sends
    its e-mails through real SMTP to the session's mail catcher."""
    import os

    worker = start_worker(
        tmp_path_factory.mktemp("worker"), hostname=f"test-{os.getpid()}@%h", catcher=mail_catcher
    )
    try:
        yield worker
    finally:
        stop_worker(worker)


@pytest.fixture
def real_worker(_worker_process):
    """A real Celery worker process; tasks enqueued during the test are sent to it through Redis.

    Work the test wants the worker to see must be committed: write inside
    ``with django_db_blocker.unblock():`` (autocommit, on_commit fires at once) in a test without
    the ``db`` fixture, and clean up what you created. ``sent_mails()`` holds this test's e-mails.
    """
    from cpts_platform.celery import app

    for old in _worker_process.mail_dir.glob("*"):
        old.unlink()
    _worker_process.catcher.clear()
    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield _worker_process
    finally:
        app.conf.task_always_eager = previous_eager


def verified_operator_client(user, host: str = PLATFORM_HOST) -> Client:
    """A client for ``user`` on ``host`` that has also passed the TOTP second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = signed_in_client(user, host)
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "test"})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def operator_client(operator):
    return verified_operator_client(operator)
