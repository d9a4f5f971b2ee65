"""``python -m benchmarks``: the refresh, read API (latency, load, memory) and availability
benchmarks, printed as one table."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import REFERENCE, SOURCES

if TYPE_CHECKING:
    from benchmarks.throughput import Memory, Throughput


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="timed requests per read API target (default 2000)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most for the timed requests (default 60)")
    parser.add_argument("--load-duration", type=float, default=5.0,
                        help="seconds of load per target under 50 connections (default 5)")
    parser.add_argument("--distinct", type=int, default=5000,
                        help="distinct cache-missing queries before the server's RSS is read again (default 5000)")
    parser.add_argument("--load-client", choices=("raw", "httpx"), default="raw",
                        help="the load generator's client: asyncio streams (default) or httpx.AsyncClient")
    parser.add_argument("--keep", action="store_true", help="keep the temporary AISI_HOME and logs")
    parser.add_argument("--only", choices=("catalog", "availability", "scale"),
                        help="run one part (default: catalog and availability; scale runs only when asked)")
    parser.add_argument("--scales", default="1,10,100",
                        help="scale: catalog sizes as multiples of today's ~7.5k offerings (default 1,10,100)")
    parser.add_argument("--targets", default="50,500,5000",
                        help="scale: monitor sizes in probe targets (default 50,500,5000)")
    parser.add_argument("--api-requests", type=int, default=200,
                        help="scale: cache-missing read API requests timed per catalog scale (default 200; 0: none)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="scale: run each refresh under pyinstrument, its text report in DIR/refresh-<scale>x.txt")
    args = parser.parse_args(argv)

    if args.only == "availability":
        return availability_only(args.keep)
    if args.only == "scale":
        return scale_only(args)

    missing = [REFERENCE / ref for _, _, ref in SOURCES.values() if not (REFERENCE / ref).is_file()]
    if missing:
        print(f"reference data missing: {', '.join(map(str, missing))}\n"
              f"expected under {REFERENCE} (../shared/reference/data beside the repository, or set AISI_REFERENCE_DATA)",
              file=sys.stderr)
        return 2

    from benchmarks import api, refresh, throughput

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="aisi-bench-"))
    home, logs = tmp / "home", tmp / "logs"
    logs.mkdir(parents=True)
    try:
        runs = refresh.run(home, logs)
        print("refresh (real reference data served locally, `python -m pipelines.cli refresh` per run)")
        print(f"  {'run':<10} {'wall_s':>7} {'cpu_s':>6} {'peak_rss_mib':>12} {'models':>7} {'offerings':>9} {'prices':>7} "
              f"{'rows_per_s':>10} {'new_price_rows':>14} {'http_304':>8}")
        for r in runs:
            print(f"  {r.run:<10} {r.wall_s:>7.2f} {r.cpu_s:>6.2f} {r.peak_rss_mib:>12.1f} {r.models:>7} {r.offerings:>9} {r.prices:>7} "
                  f"{r.rows_per_s:>10.0f} {r.new_price_rows:>14} {f'{r.not_modified}/{r.requests}':>8}")
        first = runs[0]
        firsts = [r for r in runs if r.run.startswith("first")]
        again = [r for r in runs if r.run.startswith("unchanged")]
        first_cpu, first_wall = statistics.median(r.cpu_s for r in firsts), statistics.median(r.wall_s for r in firsts)
        cpu, wall = statistics.median(r.cpu_s for r in again), statistics.median(r.wall_s for r in again)
        print(f"  unchanged refreshes wrote no new price rows: {'yes' if all(r.new_price_rows == 0 for r in again) else 'NO'}; "
              f"published no snapshot: {'yes' if all(r.snapshot == first.snapshot for r in again) else 'NO'}")
        print(f"  unchanged/first CPU ratio {cpu / first_cpu:.2f} (goal <= 0.20; medians: {cpu:.2f} s of {len(again)} unchanged, "
              f"{first_cpu:.2f} s of {len(firsts)} first), unchanged/first wall ratio {wall / first_wall:.2f}; "
              f"first refresh wall {first_wall:.1f} s (goal < 10 s, median of {len(firsts)})")
        sys.stdout.flush()

        figures, checks = api.run(home, logs, n=args.n, budget_s=args.budget)
        n = min(f.n for f in figures)
        print(f"read API: {api.API_PATH} vs same bytes static, same server, N={n} each, interleaved")
        print(f"  {'target':<8} {'p50_ms':>7} {'p99_ms':>7}")
        by = {f.target: f for f in figures}
        for f in figures:
            print(f"  {f.target:<8} {f.p50_ms:>7.3f} {f.p99_ms:>7.3f}")
        print(f"  {'ratio':<8} {by['api'].p50_ms / by['static'].p50_ms:>7.2f} {by['api'].p99_ms / by['static'].p99_ms:>7.2f}")
        print(f"  api response: status {checks['status']}, {checks['bytes']} bytes, ETag {checks['etag']}, "
              f"If-None-Match -> {checks['not_modified']}, equals static bytes: {'yes' if checks['same_bytes'] else 'NO'}, "
              f"mismatched responses in run: {checks['mismatches']}")
        sys.stdout.flush()

        loads, memory = throughput.run(home, logs, duration_s=args.load_duration, distinct=args.distinct,
                                       client=args.load_client)
        print_load(loads, memory, args.load_duration, args.load_client)
        by_load = {t.name: t.result for t in loads}
        if args.only is None:
            from benchmarks import availability

            availability.report(tmp / "availability")
        cached, static, misses = by_load["cached"], by_load["static"], by_load["misses"]
        print(f"summary: read API p50 {by['api'].p50_ms / by['static'].p50_ms:.2f}x the bare ASGI app's (goal <= 1.5); "
              f"under {cached.connections} connections {cached.rps:.0f} req/s cached ({cached.rps / static.rps if static.rps else float('nan'):.2f} of the "
              f"bare app's {static.rps:.0f}), {misses.rps:.0f} req/s missing the cache; server RSS "
              f"{memory.before_kib / 1024:.0f} -> {memory.after_kib / 1024:.0f} MiB after {memory.queries} distinct "
              f"cache-missing queries (cache bound {throughput.CACHE_BYTES // 2**20} MiB)")
        print(f"total benchmark time {time.monotonic() - started:.0f}s")

        problems = []
        for r in again:
            if r.new_price_rows != 0:
                problems.append(f"{r.run} refresh wrote {r.new_price_rows} new price rows")
            if r.not_modified != r.requests or r.requests != len(SOURCES):
                problems.append(f"{r.run} refresh: {r.not_modified}/{r.requests} source answers were 304")
            if r.snapshot != first.snapshot:
                problems.append(f"{r.run} refresh published a new snapshot: it should stop after its fetches")
        if checks["status"] != 200 or not checks["etag"] or not checks["same_bytes"] or not checks["static_same_bytes"]:
            problems.append("API response has no ETag or differs from the static bytes")
        if checks["not_modified"] != 304:
            problems.append(f"If-None-Match with the API's ETag answered {checks['not_modified']}, expected 304")
        if checks["mismatches"]:
            problems.append(f"{checks['mismatches']} responses in the timed run were not 200 with the expected bytes")
        for t in loads:
            if t.result.errors:
                problems.append(f"under load, {t.name}: {sum(t.result.errors.values())} answers were not 200 ({t.result.errors})")
        if memory.ok != memory.queries:
            problems.append(f"{memory.queries - memory.ok} of the {memory.queries} distinct cache-missing queries were not answered 200")
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1 if problems else 0
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def print_load(loads: list[Throughput], memory: Memory, duration_s: float, client: str) -> None:
    """The throughput table under 50 connections and the memory line (``benchmarks.throughput``)."""
    from benchmarks import throughput

    by = {t.name: t.result for t in loads}
    connections = by["cached"].connections
    print(f"read API under load: {connections} connections, {duration_s:g} s per target, closed loop "
          f"(benchmarks.load in its own process, {'asyncio streams' if client == 'raw' else 'httpx.AsyncClient'}); "
          f"cached = {throughput.API_PATH}, static = same bytes from the bare ASGI route, "
          f"misses = a different URL each request (models/{{key}}, models?search=..., pricing?offset=...)")
    print(f"  {'target':<8} {'req_s':>7} {'p50_ms':>8} {'p99_ms':>8} {'ok':>7} {'errors':>6}")
    for t in loads:
        r = t.result
        p50 = f"{r.p50_ms:.2f}" if r.p50_ms is not None else "-"
        p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "-"
        print(f"  {t.name:<8} {r.rps:>7.0f} {p50:>8} {p99:>8} {r.ok:>7} {sum(r.errors.values()):>6}")
    cached, static = by["cached"], by["static"]
    if cached.rps and static.rps and cached.p50_ms and static.p50_ms and cached.p99_ms and static.p99_ms:
        print(f"  cached/static: req/s {cached.rps / static.rps:.2f}, p50 {cached.p50_ms / static.p50_ms:.2f}x, "
              f"p99 {cached.p99_ms / static.p99_ms:.2f}x")
    mib = 1024
    print(f"read API memory: server VmRSS before / after {memory.queries} distinct cache-missing queries "
          f"({memory.ok} answered 200, {memory.body_mib:.0f} MiB of bodies; response cache bound "
          f"{throughput.CACHE_BYTES // 2**20} MiB, api/cache.py)")
    print(f"  {'before_mib':>10} {'after_mib':>9} {'growth_mib':>10} {'peak_mib':>8}")
    print(f"  {memory.before_kib / mib:>10.0f} {memory.after_kib / mib:>9.0f} {(memory.after_kib - memory.before_kib) / mib:>10.0f} "
          f"{memory.peak_kib / mib:>8.0f}")
    sys.stdout.flush()


def availability_only(keep: bool) -> int:
    from benchmarks import availability

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="aisi-bench-"))
    try:
        availability.report(tmp)
        print(f"total benchmark time {time.monotonic() - started:.0f}s")
        return 0
    finally:
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def scale_only(args: argparse.Namespace) -> int:
    """``--only scale``: the catalog at ``--scales`` and the monitor at ``--targets`` (benchmarks.scale)."""
    import importlib.util

    from benchmarks import scale

    if args.profile is not None and importlib.util.find_spec("pyinstrument") is None:
        print("--profile runs each child under pyinstrument, which is not installed here (pip install pyinstrument)",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="aisi-bench-scale-"))
    try:
        code = scale.report(tmp, scale.numbers(args.scales, float), scale.numbers(args.targets, int), args.api_requests,
                            args.profile)
        print(f"total benchmark time {time.monotonic() - started:.0f}s")
        return code
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
