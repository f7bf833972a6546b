"""`make run`'s second half, inside the embedded runtime: migrate, seed the demo, then run web,
the workers (``worker``: queues celery and mail; ``worker_priority``: mail_priority alone, so a
campaign never delays a transactional mail) and beat together (honcho, Procfile). Ctrl-C stops
them all; runtime.py then stops the servers."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from runtime import publish

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default="8000")
    options = parser.parse_args()
    os.environ.setdefault("PLATFORM_PORT", options.port)
    os.environ["WEB_PORT"] = options.port
    # `make manage` reuses this runtime's servers and prints addresses with this port.
    publish("PLATFORM_PORT", os.environ["PLATFORM_PORT"])
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    manage("migrate_platform")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    manage("seed_demo", "--port", options.port)
    # seed_demo printed where the mail goes (the local inbox's address).
    if os.environ.get("STRIPE_EMBEDDED") == "1":
        # localstripe signs and posts its events to the platform host (docs/payments.md).
        domain = os.environ.get("PLATFORM_DOMAIN", "localhost")
        manage("register_stripe_webhook", "--url", f"http://{domain}:{options.port}/stripe/webhook/")
    # honcho replaces this process: it receives Ctrl-C and stops web, the workers and beat.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "honcho", "start", "--no-colour"])


if __name__ == "__main__":
    sys.exit(main())
