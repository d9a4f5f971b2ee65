"""The staleness rule (cron cadence -> the age a payload may reach) and each source's health verdict."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.sources import cadence
from core.sources.health import assess_source, cadence_of, summarise
from core.sources.registry import ALL_SOURCES

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.parametrize(("cron", "expected"), [
    ("*/5 * * * *", 5 * M),
    ("0 * * * *", H),
    ("0 */6 * * *", 6 * H),
    ("0 6 * * *", D),
    ("15,45 * * * *", 30 * M),  # uneven within the hour: 15 -> 45 -> next 15
    ("10,20 * * * *", 50 * M),  # the longest gap wins: 20 -> next hour's 10
    ("0 9,17 * * *", 16 * H),  # 17:00 -> next day 09:00
    ("0 9 * * 1-5", 3 * D),  # weekdays: Friday -> Monday
    ("0 9 * * MON-FRI", 3 * D),
    ("0 0 * * 0", 7 * D),
    ("0 0 * * 7", 7 * D),  # 7 is Sunday too
    ("0 0 1 * *", 31 * D),  # monthly: the longest month
    ("0 0 1,15 * MON", 7 * D),  # both day fields restricted: either matches
    ("5/20 * * * *", 20 * M),
    ("@hourly", H),
    ("@daily", D),
    ("0 0 29 2 *", 4 * 365 * D + D),  # leap days only
])
def test_interval_is_the_longest_gap_between_ticks(cron, expected):
    assert cadence.interval(cron) == expected


def test_no_cadence_has_no_interval_and_is_never_stale():
    assert cadence.interval("") is None and cadence.allowed_age("") is None
    assert cadence.is_stale(NOW - 400 * D, "", NOW) is False


@pytest.mark.parametrize("cron", ["* * * *", "61 * * * *", "0 25 * * *", "*/0 * * * *", "0 0 30 2 *", "a b c d e", "5-1 * * * *"])
def test_bad_or_never_firing_cron_is_an_error(cron):
    with pytest.raises(ValueError):
        cadence.interval(cron)


def test_staleness_is_two_intervals_plus_slack():
    hourly = "0 * * * *"
    limit = 2 * H + cadence.SLACK
    assert cadence.allowed_age(hourly) == limit
    assert not cadence.is_stale(NOW - limit, hourly, NOW)  # exactly at the limit: not yet
    assert cadence.is_stale(NOW - limit - timedelta(seconds=1), hourly, NOW)
    assert not cadence.is_stale(None, hourly, NOW)  # no payload: failed, not stale
    assert cadence.is_stale(NOW - 26 * M, "*/5 * * * *", NOW)
    assert not cadence.is_stale(NOW - 47 * H, "0 6 * * *", NOW)


def test_every_source_cadence_agrees_with_dagsters_cron_iterator():
    from dagster._utils.schedules import cron_string_iterator

    crons = {m.SPEC.cadence for m in ALL_SOURCES if m.SPEC.cadence} | {"0 9 * * 1-5", "15,45 * * * *", "0 0 1 * *"}
    start = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    for cron in crons:
        ticks = cron_string_iterator(start, cron, "UTC")
        times = [next(ticks) for _ in range(400)]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert cadence.interval(cron) == max(gaps), cron


def test_describe_age():
    assert cadence.describe_age(timedelta(seconds=40)) == "40s"
    assert cadence.describe_age(12 * M + timedelta(seconds=5)) == "12m"
    assert cadence.describe_age(5 * H + 12 * M) == "5h 12m"
    assert cadence.describe_age(2 * D + 3 * H + 59 * M) == "2d 3h"


def verdict(status: str, **kw):
    fields = dict(badge=None, error=None, http_status=None, payload_fetched_at=None, cadence="0 * * * *", now=NOW)
    fields.update(kw)
    return assess_source("openrouter", status, **fields)


def test_ok_passes_and_a_304_says_so():
    fresh = verdict("ok", badge="aggregator", http_status=304, payload_fetched_at=NOW - M)
    assert fresh.healthy and not fresh.stale and fresh.description == "ok (304 not modified)"
    assert fresh.metadata()["payload_age_seconds"] == 60


def test_failed_and_cached_fail_with_their_error():
    failed = verdict("failed", error="HTTP 500", http_status=500)
    assert not failed.healthy and failed.description == "failed: HTTP 500; no archived payload to serve"
    assert failed.metadata()["error"] == "HTTP 500" and failed.metadata()["payload_age_seconds"] == "none"
    cached = verdict("cached", badge="cached", error="HTTP 503", http_status=503, payload_fetched_at=NOW - 30 * M)
    assert not cached.healthy and not cached.held_back and not cached.stale
    assert cached.description == "failed: HTTP 503; serving the last good payload from 2026-12-01 11:30Z as cached"


def test_held_back_is_cached_and_says_held_back():
    held = verdict("cached", badge="cached", error="sudden drop: 3 models vs 7 in the last good run (-57 %); new data held back",
                   http_status=200, payload_fetched_at=NOW - 10 * M)
    assert not held.healthy and held.held_back
    assert held.description.startswith("held back: sudden drop: 3 models vs 7")


def test_skipped_passes_saying_it_is_not_configured():
    skipped = verdict("skipped", error="skipped: no API key (set OPENAI_API_KEY)", cadence="*/5 * * * *")
    assert skipped.healthy and not skipped.stale
    assert skipped.description == "skipped: no API key (set OPENAI_API_KEY) (not configured: not a failure)"


def test_a_stale_payload_fails_even_when_ok_and_names_its_age_and_cadence():
    stale = verdict("ok", badge="aggregator", http_status=200, payload_fetched_at=NOW - 26 * H - 3 * M)
    assert stale.stale and not stale.healthy
    assert stale.description.endswith("stale: payload from 2026-11-30 09:57Z, 1d 2h old, cadence 0 * * * *")
    cached_stale = verdict("cached", badge="cached", error="HTTP 500", payload_fetched_at=NOW - 3 * H)
    assert cached_stale.stale and "failed: HTTP 500" in cached_stale.description and "3h 0m old" in cached_stale.description


def test_an_unreadable_cadence_judges_nothing_stale():
    odd = verdict("ok", http_status=200, payload_fetched_at=NOW - 300 * D, cadence="every hour")
    assert odd.healthy and not odd.stale and odd.allowed_age is None


def test_summary_counts_failed_cached_and_stale():
    verdicts = [
        verdict("ok", http_status=200, payload_fetched_at=NOW),
        verdict("skipped", error="skipped: no API key"),
        assess_source("litellm", "failed", badge=None, error="HTTP 500", http_status=500, payload_fetched_at=None, cadence="0 * * * *", now=NOW),
        assess_source("lmarena", "ok", badge="scraped", error=None, http_status=200, payload_fetched_at=NOW - 3 * D, cadence="0 6 * * *", now=NOW),
        assess_source("models_dev", "cached", badge="cached", error="shape change: field 'cost' in 0 % of entries vs 100 % in the last good run; new data held back", http_status=200, payload_fetched_at=NOW, cadence="0 * * * *", now=NOW),
    ]
    summary = summarise(verdicts)
    assert summary == {"healthy": False, "sources": 5, "failed": 1, "cached": 1, "stale": 1, "held_back": 1, "skipped": 1,
                       "unhealthy_sources": ["litellm", "lmarena", "models_dev"]}
    assert summarise(verdicts[:2])["healthy"] is True


def test_cadence_of_reads_the_spec():
    assert cadence_of("openrouter") == "0 * * * *"
    assert cadence_of("model_defaults") == ""
    assert cadence_of("no_such_source") == ""
