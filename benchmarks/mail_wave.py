"""The mail wave: N CPTS × M members, one campaign each plus the weekly digest for every account,
sent by real Celery workers through real SMTP to a local sink; password resets during the wave.

Run inside the embedded runtime, from the repository, in one command (drop ``--quick`` for the full
200 CPTS × 1,000 members):
    .venv/bin/python infra/dev/runtime.py --data .data/bench-mail --fresh -- sh -c \\
        '.venv/bin/python manage.py migrate_platform && .venv/bin/python benchmarks/mail_wave.py --quick'

- The sink is an aiosmtpd server in its own process (it counts messages and notes when each probe
  arrives).
- Floor: a bare ``smtplib`` loop sending the same campaign message, on one connection, to the
  same sink: what the sink itself can take.
- The project, as ``make run`` starts it (Procfile) and as infra/k8s deploys it (a Deployment per
  queue): ``--workers`` real ``celery worker`` processes (prefork, ``--concurrency`` children each)
  consuming ``celery,mail``, and one priority worker (1 child) consuming ``mail_priority`` only;
  one campaign per CPTS (``campaigns.start_campaign`` queued for each) and the weekly digest
  (``campaigns.begin_digest``, fan-out without spread). Throughput = messages received by the
  sink / time from the first enqueue to the last message; the campaigns' own rate (campaign
  messages / time to the last of them) is printed too.
- During the wave, every 0.5 s: a password reset asked on a CPTS's page (Django's view, which
  mails in the request) and an invitation on the priority queue (``members.send_invitation``);
  their delay is the time until the sink receives them.
- Memory: peak RSS of the worker processes during a small campaign (M/10 members) and during the
  wave (M members per CPTS).

Prints one JSON line last (CONVENTIONS.md), with the 1-minute load average at the start and the
end (the machine is shared). The sending rates are raised (``MAIL_RATE_GLOBAL`` and
``MAIL_RATE_PER_CPTS`` = 100,000/s) so that the limits are not the bottleneck; the buckets are
still taken (per batch of messages) on every send.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_sink(port: int, counter, campaigns, last_campaign, probes, ready) -> None:
    """The SMTP sink (child process): counts messages (and campaign messages, with the time of the
    last one), reports probe arrivals (address, time)."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
            with counter.get_lock():
                counter.value += 1
            if b"Message-ID: <campaign." in envelope.content:
                with campaigns.get_lock():
                    campaigns.value += 1
                    last_campaign.value = time.time()
            for address in envelope.rcpt_tos:
                if address.startswith("probe-"):
                    probes.put((address, time.time()))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:  # until the parent terminates this process
        time.sleep(1)


def rss_of(pids: list[int]) -> int:
    import psutil

    total = 0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            total += process.memory_info().rss
            total += sum(child.memory_info().rss for child in process.children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return total


def main() -> None:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="number of CPTS")
    parser.add_argument("-m", type=int, default=1000, help="members per CPTS")
    parser.add_argument("--workers", type=int, default=1, help="bulk worker processes (celery,mail)")
    parser.add_argument("--concurrency", type=int, default=2, help="children per bulk worker (Procfile: 2)")
    parser.add_argument("--quick", action="store_true", help="5 CPTS × 200 members")
    options = parser.parse_args()
    n, m = (5, 200) if options.quick else (options.n, options.m)

    load_start = os.getloadavg()[0]
    port = free_port()
    counter = multiprocessing.Value("q", 0)
    campaign_count = multiprocessing.Value("q", 0)
    last_campaign = multiprocessing.Value("d", 0.0)
    probes = multiprocessing.Queue()
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(
        target=run_sink, args=(port, counter, campaign_count, last_campaign, probes, ready), daemon=True
    )
    sink.start()
    ready.wait(10)
    os.environ.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port), MAIL_RATE_GLOBAL="100000", MAIL_RATE_PER_CPTS="100000",
        # The runtime's mail catcher address wins over EMAIL_* in the settings: point it at the sink.
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
    )  # fmt: skip

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context, tenant_context

    from apps.campaigns import ratelimit
    from apps.campaigns.models import Campaign, Recipient
    from apps.campaigns.sending import Composer
    from apps.mailing.models import DigestDelivery, SentMail
    from apps.members.models import Invitation, Membership
    from apps.site.models import NewsItem
    from tenants.models import Community, Domain
    from tenants.provisioning import CommunityRequest, provision_community
    from workers.accounts import send_invitation_task
    from workers.campaigns import begin_digest_task, start_campaign_task

    stamp = int(time.time())
    prefix = f"mw{stamp}-"
    period = f"bw{stamp % 10**8:08d}"  # the digest's week, as long as "2026-W49" may be
    users = get_user_model().objects
    created: list[str] = []
    workers: list[subprocess.Popen] = []
    body = "<p>" + "Bonjour à toutes et à tous, voici les nouvelles de la CPTS. " * 20 + "</p>"

    def populate(schema: str, index: int, count: int) -> None:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {Membership._meta.db_table}
                    (user_id, role, is_active, joined_at, eligibility_category, auto_renew,
                     stripe_customer_id, stripe_payment_method_id, dues_exempt)
                    SELECT id, 'member', true, now(), 'liberal', false, '', '', true FROM public.accounts_user
                    WHERE email LIKE %s""",
                [f"{prefix}{index}-%"],
            )
            NewsItem.objects.create(
                title="Nouvelle de la semaine", slug="nouvelle-semaine", status="published"
            )

    def campaign(schema: str) -> int:
        with schema_context(schema):
            return Campaign.objects.create(
                subject="Lettre aux membres", body=body, status=Campaign.Status.SCHEDULED,
                scheduled_at=timezone.now(), audience={"standing": "good"},
            ).pk  # fmt: skip

    def start_workers(count: int, log_dir: Path) -> None:
        env = dict(os.environ)
        roles = [("bulk", index, "celery,mail", options.concurrency) for index in range(count)]
        roles.append(("priority", 0, "mail_priority", 1))
        for role, index, queues, concurrency in roles:
            log = (log_dir / f"worker-{role}-{index}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "cpts_platform",
                        "worker",
                        "--concurrency",
                        str(concurrency),
                        "--queues",
                        queues,
                        "--hostname",
                        f"mailwave-{role}{index}-{stamp}@%h",
                        "--without-mingle",
                        "--without-gossip",
                        "--loglevel",
                        "WARNING",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                )  # fmt: skip
            )
        time.sleep(6)

    def wait_count(target, timeout: float, sample) -> float:
        """Sample until the sink has ``target()`` messages (or ``timeout``); returns the time."""
        deadline = time.monotonic() + timeout
        while counter.value < target() and time.monotonic() < deadline:
            sample()
            time.sleep(0.2)
        return time.time()

    result: dict = {}
    try:
        total_members = n * m + max(m // 10, 1)
        print(f"building {n} CPTS × {m} members (+1 CPTS of {max(m // 10, 1)})…", flush=True)
        password = make_password(None)
        users.bulk_create(
            [users.model(email=f"{prefix}{i}-{j}@bench.test", password=password) for i in range(n + 1)
             for j in range(m if i < n else max(m // 10, 1))],
            batch_size=2000,
        )  # fmt: skip
        probe_users = [
            users.create_user(f"probe-{stamp}-{k}@bench.test", "bench-password-123") for k in range(200)
        ]
        for i in range(n + 1):
            slug = f"mw-{stamp}-{i}"
            provision_community(
                actor=None,
                request=CommunityRequest(slug=slug, name=f"CPTS Vague {i}", admin_email="a@bench.test"),
            )
            created.append(slug)
            populate(slug, i, m if i < n else max(m // 10, 1))
        wave, small = created[:n], created[n]
        connection.set_schema_to_public()
        community = Community.objects.get(schema_name=wave[0])

        # Floor: the same campaign message, a bare smtplib loop on one connection.
        with tenant_context(community):
            probe_campaign = Campaign(pk=1, subject="Lettre aux membres", body=body)
            message = Composer(probe_campaign, community).build(
                Recipient(pk=1, email="floor@bench.test", name="Floor")
            )
            raw = message.message().as_bytes(linesep="\r\n")
        floor_count = min(max(n * m, 2000), 20000)
        before = counter.value
        smtp = smtplib.SMTP("127.0.0.1", port)
        started = time.perf_counter()
        for _ in range(floor_count):
            smtp.sendmail("ne-pas-repondre@localhost", ["floor@bench.test"], raw)
        smtp.quit()
        while counter.value < before + floor_count:
            time.sleep(0.01)
        floor_rate = floor_count / (time.perf_counter() - started)
        print(f"floor: {floor_rate:.0f} messages/s (bare smtplib loop, {floor_count} messages)", flush=True)

        for key in ratelimit.client().scan_iter("mail:*"):
            ratelimit.client().delete(key)
        log_dir = Path(os.environ.get("CPTS_DATA_DIR", ROOT / ".data" / "bench-mail")) / f"mail-wave-{stamp}"
        log_dir.mkdir(parents=True, exist_ok=True)
        start_workers(options.workers, log_dir)
        pids = [w.pid for w in workers]

        # Memory with M/10 members: one campaign on the small CPTS.
        peak = {"small": 0, "wave": 0}
        before = counter.value
        start_campaign_task.apply_async((small, campaign(small)))
        wait_count(
            lambda: before + max(m // 10, 1),
            120,
            lambda: peak.__setitem__("small", max(peak["small"], rss_of(pids))),
        )

        # The wave: one campaign per CPTS and the digest of every account, with probes.
        ids = {schema: campaign(schema) for schema in wave}
        expected = counter.value + n * m + n * m  # campaign + one digest per account of the wave
        expected += max(m // 10, 1)  # the small CPTS's accounts get a digest too
        reset_sent: dict[str, float] = {}
        invite_sent: dict[str, float] = {}
        arrivals: dict[str, float] = {}
        campaigns_before = campaign_count.value
        wave_started = time.time()
        for schema, pk in ids.items():
            start_campaign_task.apply_async((schema, pk))
        begin_digest_task.apply_async(kwargs={"period": period, "spread_seconds": 0})
        host = f"{wave[0]}.localhost"
        client = Client(HTTP_HOST=host)
        next_probe, k = time.monotonic(), 0

        def sample() -> None:
            nonlocal next_probe, k
            peak["wave"] = max(peak["wave"], rss_of(pids))
            while not probes.empty():
                address, at = probes.get()
                arrivals.setdefault(address, at)
            if time.monotonic() >= next_probe and k < len(probe_users) // 2:
                reset_address = probe_users[2 * k].email
                reset_sent[reset_address] = time.time()
                client.post("/compte/mot-de-passe/oubli/", {"email": reset_address})
                invite_address = probe_users[2 * k + 1].email
                with schema_context(wave[0]):
                    invitation = Invitation.objects.create(
                        email=invite_address, token_hash=f"{stamp}-{k:06d}".ljust(64, "0"),
                        expires_at=timezone.now() + timedelta(days=3),
                    )  # fmt: skip
                invite_sent[invite_address] = time.time()
                send_invitation_task.apply_async((wave[0], invitation.pk))
                k += 1
                next_probe = time.monotonic() + 0.5

        finished_at = wait_count(lambda: expected + 2 * k, 3600, sample)
        time.sleep(1)
        while not probes.empty():
            address, at = probes.get()
            arrivals.setdefault(address, at)
        elapsed = finished_at - wave_started
        rate = (2 * n * m + max(m // 10, 1)) / elapsed
        campaign_messages = campaign_count.value - campaigns_before
        campaign_rate = campaign_messages / max(last_campaign.value - wave_started, 1e-6)
        load_end = os.getloadavg()[0]
        reset_delays = sorted(arrivals.get(a, time.time() + 999) - t for a, t in reset_sent.items())
        invite_delays = sorted(arrivals.get(a, time.time() + 999) - t for a, t in invite_sent.items())

        def p95(values: list[float]) -> float:
            return (
                values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))] if values else float("nan")
            )

        with schema_context(wave[0]):
            statuses = dict(
                Campaign.objects.filter(pk=ids[wave[0]]).values_list("status", "recipients_total")
            )
        ratio = rate / floor_rate
        memory_flat = peak["wave"] <= peak["small"] * 1.5 + 64 * 1024**2
        goal_met = ratio >= 0.5 and p95(reset_delays) <= 5 and p95(invite_delays) <= 5 and memory_flat
        print(
            f"wave: {2 * n * m + max(m // 10, 1)} messages in {elapsed:.1f} s = {rate:.0f}/s "
            f"({counter.value} received by the sink in all); floor {floor_rate:.0f}/s; "
            f"campaign of {wave[0]}: {statuses}"
        )
        print(
            f"campaigns alone: {campaign_messages} messages, the last {last_campaign.value - wave_started:.1f} s "
            f"after the start = {campaign_rate:.0f}/s ({campaign_rate / floor_rate:.2f} of the floor); "
            f"the rest is the digest"
        )
        print(
            f"password reset during the wave: p95 {p95(reset_delays):.2f} s, median "
            f"{statistics.median(reset_delays) if reset_delays else float('nan'):.2f} s ({len(reset_delays)} resets); "
            f"invitation on the priority queue: p95 {p95(invite_delays):.2f} s ({len(invite_delays)})"
        )
        print(
            f"worker RSS peak: {peak['small'] / 1024**2:.0f} MiB at M/10={max(m // 10, 1)}, "
            f"{peak['wave'] / 1024**2:.0f} MiB during the wave (M={m}, {n} CPTS)",
            flush=True,
        )
        result = {
            "benchmark": "mail_wave",
            "metric": "messages_per_s",
            "value": round(rate, 1),
            "floor": round(floor_rate, 1),
            "floor_is": "a bare smtplib loop sending the same campaign message to the same sink",
            "ratio": round(ratio, 3),
            "n_cpts": n,
            "members_per_cpts": m,
            "messages": 2 * n * m + max(m // 10, 1),
            "worker_processes": options.workers,
            "reset_p95_s": round(p95(reset_delays), 3),
            "priority_invitation_p95_s": round(p95(invite_delays), 3),
            "worker_rss_mib_small": round(peak["small"] / 1024**2),
            "worker_rss_mib_wave": round(peak["wave"] / 1024**2),
            "goal": "ratio >= 0.5, reset p95 <= 5 s, memory flat as members grow",
            "met": goal_met,
            "total_members": total_members,
            "campaign_messages_per_s": round(campaign_rate, 1),
            "campaign_ratio": round(campaign_rate / floor_rate, 3),
            "bulk_worker_children": options.workers * options.concurrency,
            "priority_worker_children": 1,
            "rate_limits": "MAIL_RATE_GLOBAL = MAIL_RATE_PER_CPTS = 100000/s: not the bottleneck; tokens still taken",
            "load_1min_start": round(load_start, 2),
            "load_1min": round(load_end, 2),
        }
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        sink.terminate()
        connection.set_schema_to_public()
        SentMail.objects.filter(schema__in=created).delete()
        SentMail.objects.filter(key__startswith=f"digest:{period}:").delete()
        DigestDelivery.objects.filter(period=period).delete()
        DigestDelivery.objects.filter(user__email__startswith=prefix).delete()
        for slug in created:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
        Domain.objects.filter(tenant__schema_name__in=created).delete()
        Community.objects.filter(schema_name__in=created).delete()
        users.filter(email__startswith=prefix)._raw_delete(using="default")
        users.filter(email__startswith=f"probe-{stamp}-")._raw_delete(using="default")

    print(json.dumps(result))


if __name__ == "__main__":
    main()
