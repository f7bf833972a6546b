"""One pass over a national-size Annuaire Santé file routes every line to the CPTS of its commune
(apps/directory/national.py), for 800 CPTS of 30 communes each: wall time and peak memory, next to
the time to merely read the file line by line (the I/O floor). The alternative, importing the
national file in each CPTS, reads it 800 times (~25 s each: benchmarks/import_rpps.py).

    python infra/dev/runtime.py --data .data/bench-split --fresh -- sh -c \
        '.venv/bin/python manage.py migrate_platform && .venv/bin/python benchmarks/national_split.py --quick'

Goal: <= 60 s (one import's budget) and <= 300 MB peak. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _directory_setup import setup_community  # noqa: E402
from import_rpps import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--communities", type=int, default=800)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    options = parser.parse_args()
    rows = 200_000 if options.quick else options.rows
    setup_community("bench-split")  # Django, migrations, the communes reference

    from apps.directory.national import split_rpps
    from apps.geo.models import Commune

    communes = list(
        Commune.objects.filter(is_current=True).exclude(kind="commune", code__in=["75056", "69123", "13055"])
    )
    national = [(c.code, (c.postcodes or [""])[0], c.name.upper(), max(c.population, 1)) for c in communes]
    # 800 territories of 30 communes each, drawn at random without overlap (CPTS do not overlap).
    rng = random.Random(3)
    codes = [c.code for c in communes]
    rng.shuffle(codes)
    by_code: dict[bytes, list[str]] = defaultdict(list)
    for index in range(options.communities):
        for code in codes[index * 30 : (index + 1) * 30]:
            by_code[code.encode()].append(f"cpts-{index:03d}")

    work = Path(tempfile.mkdtemp(prefix="bench-split-", dir=ROOT / ".data"))
    try:
        source = work / "national.txt"
        start = time.perf_counter()
        generate(source, rows, national)
        size_mb = source.stat().st_size / 1e6
        print(f"generated {rows} rows ({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        with open(source, "rb") as stream:
            for _line in stream:
                pass
        floor = time.perf_counter() - start
        print(f"read line by line (floor): {floor:.2f} s", flush=True)

        paths = {f"cpts-{i:03d}": work / "out" / f"cpts-{i:03d}.txt" for i in range(options.communities)}
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        lines = split_rpps(source, by_code, paths)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        routed = sum(lines.values())
        print(f"split into {len(paths)} files: {seconds:.1f} s, {routed} lines routed, peak {peak_mb:.0f} MB")
    finally:
        shutil.rmtree(work)
    print(
        json.dumps(
            {
                "benchmark": "national_split",
                "metric": "wall_s",
                "value": round(seconds, 2),
                "floor": round(floor, 2),
                "floor_is": "reading the file line by line (s)",
                "ratio": round(seconds / floor, 1) if floor else None,
                "peak_mb": round(peak_mb, 1),
                "peak_mb_before_split": round(before_mb, 1),
                "rows": rows,
                "file_mb": round(size_mb),
                "communities": options.communities,
                "lines_routed": routed,
                "goal": "<= 60 s and <= 300 MB peak for 800 CPTS",
                "met": seconds <= 60 and peak_mb <= 300,
            }
        )
    )


if __name__ == "__main__":
    main()
