"""infra/dev/runtime.py: a second command on a data directory reuses the servers of the runtime
already running there (``make run``), and stops none of them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from tests.conftest import wait_until

RUNTIME = Path(settings.BASE_DIR) / "infra" / "dev" / "runtime.py"
OWNER_SCRIPT = """
import sys, time
sys.path.insert(0, {dev!r})
import runtime
runtime.publish("PLATFORM_PORT", "8123")
open({ready!r}, "w").write("ready")
time.sleep(300)
"""
SHOW_ENV = "import json, os; print(json.dumps({k: os.environ.get(k) for k in ('DATABASE_URL', 'REDIS_URL', 'PLATFORM_PORT')}))"


def _clean_env() -> dict[str, str]:
    """The environment of a shell where nothing is started yet (the test suite itself runs inside a
    runtime, whose servers must not leak into the ones under test)."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "CPTS_DATA_DIR", "CPTS_RUNTIME_STATE", "PLATFORM_PORT"):
        env.pop(name, None)
    # No localstripe: this test is about PostgreSQL and Redis, and it keeps the test short.
    env["STRIPE_SECRET_KEY"] = "sk_test_unused"
    return env


@pytest.fixture
def data_dir():
    path = Path(settings.BASE_DIR) / ".data" / f"runtime-{uuid.uuid4().hex[:8]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_second_command_reuses_the_running_servers_and_stops_none(data_dir):
    ready = data_dir.parent / f"{data_dir.name}.ready"
    owner = subprocess.Popen(
        [sys.executable, str(RUNTIME), "--data", str(data_dir), "--", sys.executable, "-c",
         OWNER_SCRIPT.format(dev=str(RUNTIME.parent), ready=str(ready))],
        env=_clean_env(), start_new_session=True,
    )  # fmt: skip
    try:
        wait_until(lambda: ready.exists() or owner.poll() is not None, timeout=60)
        assert owner.poll() is None
        state = json.loads((data_dir / "runtime.json").read_text())
        assert state["pid"] == owner.pid

        second = subprocess.run(
            [sys.executable, str(RUNTIME), "--data", str(data_dir), "--", sys.executable, "-c", SHOW_ENV],
            env=_clean_env() | {"PLATFORM_PORT": "8000"}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr
        seen = json.loads(second.stdout)
        assert seen == {
            "DATABASE_URL": state["env"]["DATABASE_URL"],
            "REDIS_URL": state["env"]["REDIS_URL"],
            "PLATFORM_PORT": "8123",
        }
        assert "réutilisés" in second.stderr

        # Both servers of the first runtime still answer, and it still owns them.
        with psycopg.connect(seen["DATABASE_URL"]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(seen["REDIS_URL"]).ping()
        assert json.loads((data_dir / "runtime.json").read_text())["pid"] == owner.pid

        refused = subprocess.run(
            [sys.executable, str(RUNTIME), "--data", str(data_dir), "--fresh", "--", "true"],
            env=_clean_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert refused.returncode == 2 and "make run" in refused.stderr
        assert (data_dir / "pg").exists()
    finally:
        os.killpg(owner.pid, signal.SIGTERM)
        owner.wait(60)
        ready.unlink(missing_ok=True)
    assert not (data_dir / "runtime.json").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(seen["DATABASE_URL"], connect_timeout=2)
