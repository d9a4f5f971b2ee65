"""Scale benchmark: the catalog refresh at 1x, 10x, 100x today's offerings and the monitor at 50,
500, 5,000 targets, each in its own child process on synthetic sources served locally.

Catalog: ``benchmarks.synthetic`` makes the models.dev, OpenRouter and LiteLLM payloads at the
scale asked (1x is about 7.5k offerings, like today's three public sources), a
``tests.replay.ReplayServer`` serves them, and ``python -m pipelines.cli refresh`` runs once on
an empty temporary ``AISI_HOME`` (the first refresh: everything fetched, merged and published).
Its wall, CPU and peak RSS are that child's own (``os.wait4``); the publish time and the slowest
steps come from the run's step stats on the home's Dagster instance; the snapshot's size is its
file; the API p50 is the read API (``benchmarks.server``, uvicorn as ``aisi serve``) answering
cache-missing requests on that snapshot.

Monitor: N probe targets (and a status page for one in ten) on a local server, the default
providers disabled, ``python -m pipelines.cli monitor --once`` in a child: its wall, CPU, peak
RSS and the cycle's own seconds, against the minute it has.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import SOURCES, child_env
from benchmarks.refresh import public_sources_env, run_child, snapshot_counts

# Goals (issue 14): 10x within 10x the 1x time and under 2 GB peak RSS; 5,000 targets within a minute.
GROWTH_GOAL = 10.0
RSS_GOAL_MIB = 2048.0
CYCLE_GOAL_S = 60.0
PUBLISH_STEPS = ("warehouse", "duckdb_snapshot")
API_REQUESTS = 200  # cache-missing requests timed per scale


@dataclass
class CatalogRow:
    scale: float
    entries: int  # entries in the three payloads
    payload_mib: float
    offerings: int
    models: int
    prices: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    publish_s: float | None  # the warehouse commit + the snapshot export (their steps' durations)
    snapshot_bytes: int
    api_p50_ms: float | None
    api_p99_ms: float | None
    steps: dict[str, float] = field(default_factory=dict)  # step key -> seconds, both runs of the refresh
    peak_step: str = "-"  # the step running when the sampled RSS peaked
    log: Path | None = None


@dataclass
class MonitorRow:
    targets: int
    pages: int
    probes: int
    up: int
    wall_s: float  # the child process, start-up included
    cycle_s: float | None  # the cycle's own seconds, as it reports them
    cpu_s: float
    peak_rss_mib: float
    exit_code: int

    @property
    def fits(self) -> bool:
        return self.wall_s < CYCLE_GOAL_S and self.probes == self.targets


def _step_spans(home: Path) -> dict[str, tuple[float, float]]:
    """Each step's (start, end), epoch seconds, in the refresh's runs (from ``$AISI_HOME/dagster``'s
    instance; a step in both runs counts once per run, its spans joined)."""
    import dagster as dg

    spans: dict[str, tuple[float, float]] = {}
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        for run in instance.get_runs():
            for stat in instance.get_run_step_stats(run.run_id):
                if stat.end_time and stat.start_time:
                    spans[stat.step_key] = (stat.start_time, stat.end_time)
    return spans


def _profiled(command: list[str], profile: Path | None, report: str) -> list[str]:
    """``command`` (``python -m MODULE ...``) run under pyinstrument, a sampling profiler, its text
    report in ``profile/report``; unchanged when ``profile`` is None."""
    if profile is None:
        return command
    profile.mkdir(parents=True, exist_ok=True)
    return [command[0], "-m", "pyinstrument", "-o", str(profile / report), "-r", "text", "-p", "show_all=false", *command[1:]]


def _peak_step(samples: list[tuple[float, int]], spans: dict[str, tuple[float, float]]) -> str:
    """The step running when the sampled RSS peaked (``-``: between steps or no sample)."""
    if not samples:
        return "-"
    at, _ = max(samples, key=lambda s: s[1])
    running = [k for k, (start, end) in spans.items() if start - 0.1 <= at <= end + 0.1]
    return ",".join(sorted(running)) or "-"


def _api_latency(home: Path, logs: Path, n: int) -> tuple[float, float]:
    """p50 and p99 (ms) of ``n`` distinct cache-missing read API requests on ``home``'s snapshot:
    by turns one model whole, a search of the models and a page of current prices
    (``benchmarks.throughput.miss_targets``), one keep-alive client, one after another."""
    import httpx

    from benchmarks.load import percentile_ms
    from benchmarks.server import api_server
    from benchmarks.throughput import miss_targets, model_keys

    static = logs / "static.json"
    static.write_bytes(b"{}")
    targets = miss_targets(model_keys(home), n)
    with api_server(home, logs, static, name=f"api-{home.parent.name}") as server, \
            httpx.Client(base_url=server.url, timeout=60.0) as client:
        client.get("/api/v1/models?limit=1")  # opens the snapshot
        timings = []
        for target in targets:
            started = time.perf_counter_ns()
            response = client.get(target)
            timings.append(time.perf_counter_ns() - started)
            if response.status_code != 200:
                raise SystemExit(f"scale: GET {target} answered {response.status_code}: {response.text[:300]}")
    timings.sort()
    return percentile_ms(timings, 50), percentile_ms(timings, 99)


def catalog_row(scale: float, tmp: Path, api_requests: int = API_REQUESTS, profile: Path | None = None) -> CatalogRow:
    """One first refresh of an empty home on the synthetic sources at ``scale`` (``profile``: a
    directory for a pyinstrument text report of the refresh, ``refresh-<scale>x.txt``)."""
    from benchmarks import synthetic
    from tests.replay import ReplayServer

    made = synthetic.catalog(scale)
    payloads = made.payloads()
    home, logs = tmp / "home", tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with ReplayServer() as server:
        # Served where the real payloads are (benchmarks.SOURCES: prefix and the source's own path).
        for env_name, (prefix, path, _) in SOURCES.items():
            server.add(prefix + path, payloads[env_name])
        extra = public_sources_env({env_name: server.url + prefix for env_name, (prefix, _, _) in SOURCES.items()}, "300")
        log = logs / "refresh.log"
        command = _profiled([sys.executable, "-m", "pipelines.cli", "refresh"], profile, f"refresh-{scale:g}x.txt")
        code, wall, cpu, rss, samples = run_child(command, child_env(home, **extra), log)
    if code != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        raise SystemExit(f"scale {scale:g}x: refresh failed (exit {code}); last lines of {log}:\n" + "\n".join(tail))
    _, counts = snapshot_counts(home)
    spans = _step_spans(home)
    steps = {k: end - start for k, (start, end) in spans.items()}
    publish = sum(steps[s] for s in PUBLISH_STEPS if s in steps) if any(s in steps for s in PUBLISH_STEPS) else None
    latest = home / "snapshots" / "latest.duckdb"
    p50, p99 = _api_latency(home, logs, api_requests) if api_requests else (None, None)
    return CatalogRow(
        scale=scale, entries=sum(made.entries.values()), payload_mib=sum(map(len, payloads.values())) / 2**20,
        offerings=counts["offerings"], models=counts["models"], prices=counts["prices"], wall_s=wall, cpu_s=cpu,
        peak_rss_mib=rss, publish_s=publish, snapshot_bytes=latest.resolve().stat().st_size if latest.exists() else 0,
        api_p50_ms=p50, api_p99_ms=p99, steps=steps, peak_step=_peak_step(samples, spans), log=log,
    )


CYCLE_LINE = re.compile(r"(?P<probes>\d+) probes, (?P<pages>\d+) status pages in (?P<seconds>[\d.]+) s")


def monitor_row(targets: int, tmp: Path, profile: Path | None = None) -> MonitorRow:
    """One ``aisi monitor --once`` cycle in a child process over ``targets`` local probe targets
    (one in ten with a status page), the configured providers disabled (``profile``: a directory
    for a pyinstrument text report, ``monitor-<targets>.txt``)."""
    from core.availability.targets import load_targets
    from tests.replay import ReplayServer

    summary = json.dumps({"page": {"id": "p"}, "status": {"indicator": "none", "description": "ok"},
                          "components": [], "incidents": []}).encode()
    incidents = json.dumps({"page": {"id": "p"}, "incidents": []}).encode()
    listing = json.dumps({"data": [{"id": f"model-{i}", "object": "model"} for i in range(20)]}).encode()
    tmp.mkdir(parents=True, exist_ok=True)
    pages = max(1, targets // 10)
    with ReplayServer() as server:
        config: dict[str, dict[str, object]] = {pid.provider_id: {"enabled": False} for pid in load_targets({})}
        for j in range(targets):
            server.add(f"/t{j}/v1/models", listing)
            entry: dict[str, object] = {"name": f"target {j}", "probe_url": f"{server.url}/t{j}/v1/models"}
            if j < pages:
                server.add(f"/s{j}/api/v2/summary.json", summary)
                server.add(f"/s{j}/api/v2/incidents.json", incidents)
                entry["status_page"] = f"{server.url}/s{j}"
            config[f"bench-{j}"] = entry
        user = tmp / "monitor.yaml"
        user.write_text(json.dumps({"providers": config}), encoding="utf-8")  # JSON is YAML
        env = child_env(tmp / "home", AISI_MONITOR_CONFIG=str(user))
        log = tmp / "monitor.log"
        command = _profiled([sys.executable, "-m", "pipelines.cli", "monitor", "--once"], profile, f"monitor-{targets}.txt")
        code, wall, cpu, rss, _ = run_child(command, env, log)
    text = log.read_text(errors="replace")
    match = CYCLE_LINE.search(text)
    if match is None:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"monitor at {targets} targets printed no cycle line (exit {code}); last lines of {log}:\n{tail}")
    up = sum(1 for line in text.splitlines() if re.match(r"\s+bench-\d+\s+up\s", line))
    return MonitorRow(targets=targets, pages=int(match["pages"]), probes=int(match["probes"]), up=up, wall_s=wall,
                      cycle_s=float(match["seconds"]), cpu_s=cpu, peak_rss_mib=rss, exit_code=code)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_catalog(rows: list[CatalogRow]) -> None:
    print("scale: catalog, first refresh of an empty home on synthetic sources (models.dev + OpenRouter + LiteLLM "
          "formats, benchmarks/synthetic.py), `python -m pipelines.cli refresh` in a child")
    print(f"  {'scale':>5} {'entries':>8} {'payload_mib':>11} {'offerings':>9} {'models':>7} {'prices':>8} {'wall_s':>7} "
          f"{'cpu_s':>7} {'peak_rss_mib':>12} {'publish_s':>9} {'snapshot_mib':>12} {'api_p50_ms':>10} {'api_p99_ms':>10}")
    for r in rows:
        print(f"  {f'{r.scale:g}x':>5} {r.entries:>8} {r.payload_mib:>11.1f} {r.offerings:>9} {r.models:>7} {r.prices:>8} "
              f"{r.wall_s:>7.1f} {r.cpu_s:>7.1f} {r.peak_rss_mib:>12.0f} {_fmt(r.publish_s, '9.1f')} "
              f"{r.snapshot_bytes / 2**20:>12.1f} {_fmt(r.api_p50_ms, '10.2f')} {_fmt(r.api_p99_ms, '10.2f')}")
    print("  peak RSS during step: " + "; ".join(f"{r.scale:g}x {r.peak_step}" for r in rows))
    for small, large in zip(rows, rows[1:]):
        grows = large.offerings / small.offerings if small.offerings else float("nan")
        print(f"  {large.scale:g}x/{small.scale:g}x: offerings {grows:.1f}x, wall {large.wall_s / small.wall_s:.1f}x, "
              f"cpu {large.cpu_s / small.cpu_s:.1f}x, peak RSS {large.peak_rss_mib / small.peak_rss_mib:.1f}x, publish "
              f"{_fmt(_ratio(large.publish_s, small.publish_s), '.1f')}x, snapshot {large.snapshot_bytes / max(1, small.snapshot_bytes):.1f}x, "
              f"api p50 {_fmt(_ratio(large.api_p50_ms, small.api_p50_ms), '.1f')}x")
        # The steps that grew most, with their share of the larger run.
        growth = sorted(((large.steps[k] / small.steps[k], k) for k in large.steps
                         if small.steps.get(k, 0) > 0.05 and large.steps[k] > 1.0), reverse=True)
        if growth:
            print("    steps that grew most: " + ", ".join(f"{k} {small.steps[k]:.1f}->{large.steps[k]:.1f}s ({g:.0f}x)" for g, k in growth[:6]))
    sys.stdout.flush()


def print_monitor(rows: list[MonitorRow]) -> None:
    print(f"scale: monitor, one `python -m pipelines.cli monitor --once` cycle in a child over N local probe targets "
          f"(a status page for one in ten); goal: within {CYCLE_GOAL_S:.0f} s")
    print(f"  {'targets':>7} {'pages':>5} {'probes':>6} {'up':>5} {'wall_s':>7} {'cycle_s':>7} {'cpu_s':>6} {'peak_rss_mib':>12} fits_minute")
    for r in rows:
        print(f"  {r.targets:>7} {r.pages:>5} {r.probes:>6} {r.up:>5} {r.wall_s:>7.1f} {_fmt(r.cycle_s, '7.1f')} {r.cpu_s:>6.1f} "
              f"{r.peak_rss_mib:>12.0f} {'yes' if r.fits else 'NO'}")
    for small, large in zip(rows, rows[1:]):
        print(f"  {large.targets}/{small.targets} targets: cycle {_fmt(_ratio(large.cycle_s, small.cycle_s), '.1f')}x, "
              f"wall {large.wall_s / small.wall_s:.1f}x")
    sys.stdout.flush()


def problems(catalog: list[CatalogRow], monitor: list[MonitorRow]) -> list[str]:
    """The goals that do not hold, as FAIL lines: 10x within 10x the 1x wall and under 2 GB peak
    RSS; every monitor cycle probes all its targets, every provider up; 5,000 targets (the largest
    asked) within a minute."""
    found = []
    by = {r.scale: r for r in catalog}
    if 1 in by and 10 in by:
        ratio = by[10].wall_s / by[1].wall_s
        if ratio > GROWTH_GOAL:
            found.append(f"scale 10x took {ratio:.1f}x the 1x wall time (goal <= {GROWTH_GOAL:g}x)")
    for r in catalog:
        if r.scale <= 10 and r.peak_rss_mib > RSS_GOAL_MIB:
            found.append(f"scale {r.scale:g}x peak RSS {r.peak_rss_mib:.0f} MiB (goal < {RSS_GOAL_MIB:.0f} MiB)")
        if not r.offerings:
            found.append(f"scale {r.scale:g}x published no offerings")
    for r in monitor:
        if r.probes != r.targets or r.up != r.targets:
            found.append(f"monitor at {r.targets} targets: {r.probes} probes, {r.up} up (expected all)")
        if not r.fits:
            found.append(f"monitor at {r.targets} targets took {r.wall_s:.1f} s (goal < {CYCLE_GOAL_S:.0f} s)")
    return found


def report(tmp: Path, scales: list[float], targets: list[int], api_requests: int = API_REQUESTS,
           profile: Path | None = None) -> int:
    """Runs the rows asked for, prints them and the FAIL lines; 1 when a goal fails."""
    catalog: list[CatalogRow] = []
    for scale in scales:
        started = time.monotonic()
        catalog.append(catalog_row(scale, tmp / f"catalog-{scale:g}x", api_requests, profile))
        print(f"  (scale {scale:g}x measured in {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    if catalog:
        print_catalog(catalog)
    monitor = [monitor_row(n, tmp / f"monitor-{n}", profile) for n in targets]
    if monitor:
        print_monitor(monitor)
    found = problems(catalog, monitor)
    for p in found:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if found else 0


def numbers(text: str, kind: type) -> list:
    """``"1,10,100"`` -> ``[1, 10, 100]``."""
    return [kind(x) for x in text.split(",") if x.strip()]

