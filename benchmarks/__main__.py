"""``python -m benchmarks``: the refresh and read API benchmarks, printed as one table."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import REFERENCE, SOURCES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="timed requests per read API target (default 2000)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most for the timed requests (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary AISI_HOME and logs")
    parser.add_argument("--only", choices=("catalog", "availability"), help="run one part (default: both)")
    args = parser.parse_args(argv)

    if args.only == "availability":
        return availability_only(args.keep)

    missing = [REFERENCE / ref for _, _, ref in SOURCES.values() if not (REFERENCE / ref).is_file()]
    if missing:
        print(f"reference data missing: {', '.join(map(str, missing))}\n"
              f"expected under {REFERENCE} (../shared/reference/data beside the repository, or set AISI_REFERENCE_DATA)",
              file=sys.stderr)
        return 2

    from benchmarks import api, refresh

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
        first, unchanged = runs[0], runs[-1]
        print(f"  unchanged refresh wrote no new price rows: {'yes' if unchanged.new_price_rows == 0 else 'NO'}; "
              f"published no snapshot: {'yes' if unchanged.snapshot == first.snapshot else 'NO'}")
        print(f"  unchanged/first CPU ratio {unchanged.cpu_s / first.cpu_s:.2f} (goal <= 0.20), "
              f"unchanged/first wall ratio {unchanged.wall_s / first.wall_s:.2f}; first refresh wall {first.wall_s:.1f} s (goal < 10 s)")
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
        if args.only is None:
            from benchmarks import availability

            availability.report(tmp / "availability")
        print(f"total benchmark time {time.monotonic() - started:.0f}s")

        problems = []
        if unchanged.new_price_rows != 0:
            problems.append(f"unchanged refresh wrote {unchanged.new_price_rows} new price rows")
        if unchanged.not_modified != unchanged.requests or unchanged.requests != len(SOURCES):
            problems.append(f"unchanged refresh: {unchanged.not_modified}/{unchanged.requests} source answers were 304")
        if runs[0].snapshot != unchanged.snapshot:
            problems.append("unchanged refresh published a new snapshot: it should stop after its fetches")
        if checks["status"] != 200 or not checks["etag"] or not checks["same_bytes"] or not checks["static_same_bytes"]:
            problems.append("API response has no ETag or differs from the static bytes")
        if checks["not_modified"] != 304:
            problems.append(f"If-None-Match with the API's ETag answered {checks['not_modified']}, expected 304")
        if checks["mismatches"]:
            problems.append(f"{checks['mismatches']} responses in the timed run were not 200 with the expected bytes")
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1 if problems else 0
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


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


if __name__ == "__main__":
    raise SystemExit(main())
