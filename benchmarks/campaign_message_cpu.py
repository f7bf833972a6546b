"""CPU per campaign message, in-process: building each message the usual way (Django's
``message()`` and ``as_bytes``, as its SMTP backend does) against rendering it from the campaign's
stencil (``apps.mailing.stencil``). No network: only the work a worker's CPU does per message
before the bytes go on the socket.

Run inside the embedded runtime, from the repository, in one command:
    .venv/bin/python infra/dev/runtime.py --data .data/bench-mail -- sh -c \\
        '.venv/bin/python manage.py migrate_platform && .venv/bin/python benchmarks/campaign_message_cpu.py'

Uses the first CPTS of the database (provisions one when there is none), an unsaved campaign with
the mail-wave benchmark's body, and ``-n`` recipients (a third with non-ASCII names). Prints
``process_time`` per message for both ways, the top of a cProfile of each, and one JSON line last
(with the 1-minute load: the machine is shared).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500, help="messages per measure")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of each way")
    options = parser.parse_args()

    import django

    django.setup()
    from django.core.mail.message import sanitize_address
    from django_tenants.utils import tenant_context

    from apps.campaigns.models import Campaign, Recipient
    from apps.campaigns.sending import Composer
    from tenants.models import Community
    from tenants.provisioning import CommunityRequest, provision_community

    community = Community.objects.exclude(schema_name="public").order_by("pk").first()
    if community is None:
        provision_community(
            actor=None,
            request=CommunityRequest(slug="cpu-bench", name="CPTS Banc d'essai", admin_email="a@bench.test"),
        )
        community = Community.objects.get(schema_name="cpu-bench")
    body = "<p>" + "Bonjour à toutes et à tous, voici les nouvelles de la CPTS. " * 20 + "</p>"
    names = ["", "Jean Dupont", "Éloïse Dupré-Müller"]
    recipients = [
        Recipient(pk=1000 + i, email=f"membre{i}@bench.test", name=names[i % 3], user_id=10_000 + i)
        for i in range(options.n)
    ]

    with tenant_context(community):
        campaign = Campaign(pk=1, subject="Lettre aux membres — décembre", body=body)
        composer = Composer(campaign, community)
        composer.render(recipients[0])  # the stencil, made once per slice

        def built(recipient):
            # What Django's SMTP backend does before the socket (EmailBackend._send).
            message = composer.build(recipient)
            sanitize_address(message.from_email, "utf-8")
            [sanitize_address(a, "utf-8") for a in message.recipients()]
            return message.message().as_bytes(linesep="\r\n")

        def rendered(recipient):
            return composer.render(recipient).data

        results = {}
        for name, way in (("built", built), ("stencil", rendered)):
            way(recipients[0])
            best = float("inf")
            for _ in range(3):
                started = time.process_time()
                for recipient in recipients:
                    way(recipient)
                best = min(best, (time.process_time() - started) / len(recipients))
            results[name] = best
            print(f"{name}: {best * 1000:.3f} ms CPU per message (best of 3 × {len(recipients)})", flush=True)
            if options.profile:
                profile = cProfile.Profile()
                profile.enable()
                for recipient in recipients:
                    way(recipient)
                profile.disable()
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(18)
                print(out.getvalue())
        print(
            json.dumps(
                {
                    "benchmark": "campaign_message_cpu",
                    "metric": "ms_cpu_per_message",
                    "value": round(results["stencil"] * 1000, 4),
                    "built_ms": round(results["built"] * 1000, 4),
                    "stencil_ms": round(results["stencil"] * 1000, 4),
                    "speedup": round(results["built"] / results["stencil"], 2),
                    "messages": len(recipients),
                    "load_1min": round(os.getloadavg()[0], 2),
                }
            )
        )


if __name__ == "__main__":
    main()
