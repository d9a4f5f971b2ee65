"""The notification texts and dedup keys (pure)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg

from core.notify import messages
from core.notify.outbox import MAX_TEXT_CHARS, Notification

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
URL = "http://127.0.0.1:3000/runs/0123456789abcdef"


def test_run_failure_text_key_and_escaping() -> None:
    note = messages.run_failure("catalog_job", "0123456789abcdef", ["publish: <script> & co", "b: 2", "c: 3", "d: 4"], URL, NOW)
    assert note.dedup_key == "run_failure:0123456789abcdef" and note.kind == "run_failure"
    text = note.text()
    assert text.splitlines()[0] == f":rotating_light: *Run failed*: `catalog_job` (run <{URL}|01234567>)"
    assert "> publish: &lt;script&gt; &amp; co" in text  # a value never becomes a Slack link or mention
    assert "…and 1 more failed step(s)" in text and "d: 4" not in text
    assert text.endswith(f"<{URL}|Open the run in Dagster>")
    assert "no error message recorded" in messages.run_failure("j", "r", [], URL, NOW).text()


def test_check_metadata_renders_sample_rows_from_tables_and_json() -> None:
    check = messages.FailedCheck(
        asset="prices", check_name="gx_prices_valid", severity="ERROR", description="expectations failed",
        metadata={
            "table": dg.MetadataValue.table([dg.TableRecord({"model_key": f"m/{i}", "usd": -i}) for i in range(8)]),
            "gx": dg.MetadataValue.json({"success_percent": 92.5, "partial_unexpected_list": [-1, -2, "x"]}),
            "rows": dg.MetadataValue.json([{"a": 1}, {"a": 2}]),
            "note": dg.MetadataValue.md("**bad**"),
            "sample": dg.MetadataValue.md("**usd_per_mtok >= 0** (`expect_column_values_to_be_between`): 20 row(s)\n\n"
                                          "| model_key | usd_per_mtok |\n|:--|--:|\n"
                                          + "\n".join(f"| s/{i} | -{i} |" for i in range(20))),
            "count": dg.MetadataValue.int(8),
        },
    )
    note = messages.check_failed("catalog_job", "run-1", check, URL, NOW)
    assert note.dedup_key == "check_failed:run-1:prices:gx_prices_valid"
    text = note.text()
    assert "• table: 8 row(s), first 5:" in text and "`model_key=m/4, usd=-4`" in text and "m/5" not in text
    assert '• gx: `{"success_percent": 92.5}`' in text
    assert "• gx.partial_unexpected_list: 3 row(s):" in text and "    `x`" in text
    assert "• rows: 2 row(s):" in text and "`a=2`" in text
    assert "• note: **bad**" in text and "• count: 8" in text
    block = text.split("• sample:\n```", 1)[1].split("```", 1)[0]
    assert block.splitlines()[:3] == ["**usd_per_mtok &gt;= 0** (`expect_column_values_to_be_between`): 20 row(s)",
                                      "| model_key | usd_per_mtok |", "|:--|--:|"]
    assert "| s/8 | -8 |" in block and "| s/9 |" not in block and block.endswith("…(11 more lines)")


def test_source_degraded_cached_and_config() -> None:
    base = {"source": "litellm", "error": "HTTP 500 after 3 attempts", "streak_run_id": "run-a", "streak_runs": 3,
            "degraded_since": datetime(2026, 11, 21, 9, 5, tzinfo=timezone.utc), "last_healthy_at": None}
    cached = messages.source_degraded({**base, "status": "cached",
                                       "payload_fetched_at": datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)}, NOW)
    assert cached.dedup_key == "source_degraded:litellm:run-a" and cached.kind == "source_degraded"
    assert "degraded to *cached*: serving its last good payload (fetched 2026-11-20 07:00 UTC)" in cached.text()
    assert "Since: 2026-11-21 09:05 UTC (3 runs in a row; last healthy: never)" in cached.text()
    failed = messages.source_degraded({**base, "status": "failed", "streak_runs": 1, "error": None}, NOW)
    assert "degraded to *config*" in failed.text() and "Error: no error recorded" in failed.text()
    assert "(1 run in a row;" in failed.text()


def test_digest_lists_top_n_of_each_kind_and_none_without_changes() -> None:
    rows = [{"kind": "price_changed", "model_key": f"m/{i}", "provider_id": "p", "field": "input", "old": "1.0",
             "new": str(1 + i / 10), "pct_change": i * 10.0, "source": "openrouter"} for i in range(5, 0, -1)]
    rows += [{"kind": "model_added", "model_key": f"new/{i}", "provider_id": None, "field": None, "old": None,
              "new": None, "pct_change": None, "source": "models_dev"} for i in range(4)]
    note = messages.changes_digest("run-b", rows, URL, 2, NOW)
    assert note is not None and note.dedup_key == "changes_digest:run-b"
    text = note.text()
    assert "5 price changes, 4 new models" in text
    assert "• m/5 @ p input: $1 → $1.5/1M (+50.0 %) [openrouter]" in text and "m/3" not in text
    assert text.count("…and 3 more") == 1 and text.count("…and 2 more") == 1
    assert "• new/0 (models_dev)" in text and "new/2" not in text
    assert messages.changes_digest("run-c", [], URL, 10, NOW) is None
    assert messages.changes_digest("run-c", [{"kind": "model_removed", "model_key": "x/y"}], URL, 10, NOW) is None


def test_daily_report_sections() -> None:
    data = messages.ReportData(
        day=date(2026, 11, 22),
        counts={"models": 10, "offerings": 20, "prices": 30, "providers": 4, "snapshot_id": "20261122T075500Z",
                "published_at": datetime(2026, 11, 22, 7, 55, tzinfo=timezone.utc), "publishes_24h": 12},
        sources=[
            {"source": "openrouter", "status": "ok", "badge": "aggregator", "error": None, "runs_24h": 12, "degraded_runs_24h": 0},
            {"source": "litellm", "status": "cached", "badge": "cached", "error": "HTTP 500", "runs_24h": 12, "degraded_runs_24h": 3},
            {"source": "openai", "status": "skipped", "badge": None, "error": "skipped: no API key", "runs_24h": 12, "degraded_runs_24h": 0},
        ],
        changes=[{"kind": "price_changed", "n": 4}, {"kind": "model_added", "n": 1}],
        failed_runs={"catalog_job": 2, "probe_job": 1},
        uptime=[{"provider_id": "openai", "uptime_pct": 99.5, "p50_ms": 120.4}, {"provider_id": "acme", "uptime_pct": None, "p50_ms": None}],
    )
    note = messages.daily_report(data, NOW)
    assert note.dedup_key == "daily_report:2026-11-22" and note.kind == "daily_report"
    text = note.text()
    assert "*Catalog*: 10 models, 20 offerings, 30 current prices, 4 providers (snapshot `20261122T075500Z`" in text
    assert "*Sources* (1 of 3 ok on their newest run):" in text
    assert "• openrouter: ok, badge aggregator" in text
    assert "• litellm: cached, badge cached (3/12 runs degraded in 24 h): HTTP 500" in text
    assert "• skipped (no key): openai" in text
    assert "*Changes in 24 h*: 4 price_changed, 1 model_added" in text
    assert "*Failures in 24 h*: 3 failed runs (catalog_job ×2, probe_job ×1); 1 source degraded at least once" in text
    assert "*Uptime 24 h* (our probes): openai 99.50 %, p50 120 ms; acme n/a" in text
    bare = messages.daily_report(messages.ReportData(day=date(2026, 11, 22), changes=None), NOW).text()
    assert "no snapshot published yet" in bare and "not available (this snapshot has no changes feed)" in bare
    assert "*Failures in 24 h*: none" in bare


def test_long_messages_are_truncated_for_slack() -> None:
    note = Notification("k", "run_failure", "x" * (MAX_TEXT_CHARS * 2), NOW)
    assert len(note.text()) <= MAX_TEXT_CHARS and note.text().endswith("…(truncated)")
