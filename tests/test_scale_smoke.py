"""The scale benchmark's smallest honest rows (``python -m benchmarks --only scale``): the first
refresh at 1x and 10x today's offerings on synthetic sources served over local HTTP, each a real
``python -m pipelines.cli refresh`` child, with the read API answering on each snapshot; and one
``aisi monitor --once`` cycle in a child at 50 and 500 local probe targets. The goals are the
benchmark's own (``benchmarks.scale.problems``): 10x within 10x the 1x time and under 2 GB peak
RSS, every target probed and up within its minute. 70-100 s on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import scale

pytestmark = pytest.mark.slow


def test_the_catalog_at_1x_and_10x_and_the_monitor_at_50_and_500_targets(tmp_path: Path):
    catalog = [scale.catalog_row(s, tmp_path / f"catalog-{s}x", api_requests=30) for s in (1, 10)]
    monitor = [scale.monitor_row(n, tmp_path / f"monitor-{n}") for n in (50, 500)]
    scale.print_catalog(catalog)
    scale.print_monitor(monitor)

    one, ten = catalog
    assert 6_500 <= one.offerings <= 9_500  # about today's 7.5k
    assert 8 <= ten.offerings / one.offerings <= 12
    assert 8 <= ten.prices / one.prices <= 12
    for row in catalog:
        assert row.peak_rss_mib < scale.RSS_GOAL_MIB
        assert row.snapshot_bytes > 0
        assert row.api_p50_ms is not None and row.api_p50_ms > 0
        # publish_s and the step lines come from the runs' step events (the instance opened by its path)
        assert {"models_dev_raw", "catalog", "warehouse", "duckdb_snapshot"} <= set(row.steps)
        assert row.publish_s is not None and row.publish_s > 0
    assert ten.snapshot_bytes > 3 * one.snapshot_bytes
    for row, targets in zip(monitor, (50, 500)):
        assert (row.probes, row.up, row.pages) == (targets, targets, targets // 10)
        assert row.fits
    assert scale.problems(catalog, monitor) == []
