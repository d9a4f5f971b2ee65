"""A source's cadence (a cron string, UTC) and how old its payload may grow before it is stale.

Pure and Dagster-free (the read API uses it too). ``interval`` is the longest gap between two
consecutive ticks of a five-field cron string (``*/5 * * * *`` -> 5 min, ``0 9 * * 1-5`` -> 3 days,
Friday to Monday); a payload is **stale** when it is older than ``allowed_age``: twice that gap
plus ``SLACK`` (one missed run is tolerated, two are not). A unit test checks ``interval`` against
Dagster's own cron iterator.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

SLACK = timedelta(minutes=15)  # a run's own duration and a late schedule tick
MISSED_RUNS = 2  # a payload may be this many cron intervals old (plus SLACK) before it is stale

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = {name: i for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
# (low, high, names) of minute, hour, day of month, month, day of week (0 and 7 are Sunday)
_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 7, _DAYS))
# Eight years from a Monday hold every weekday of every month, two 29ths of February included.
_WINDOW_START = date(2024, 1, 1)
_WINDOW_DAYS = 8 * 366


def _value(text: str, low: int, high: int, names: dict[str, int], cron: str) -> int:
    value = names.get(text.upper()) if not text.isdigit() else int(text)
    if value is None or not low <= value <= high:
        raise ValueError(f"cron {cron!r}: {text!r} is not between {low} and {high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int], cron: str) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        spread, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"cron {cron!r}: bad step in {part!r}")
        if spread == "*":
            start, end = low, high
        elif "-" in spread:
            first, _, last = spread.partition("-")
            start, end = _value(first, low, high, names, cron), _value(last, low, high, names, cron)
        else:
            start = _value(spread, low, high, names, cron)
            end = high if step else start  # "5/15": from 5 on, every 15
        if start > end:
            raise ValueError(f"cron {cron!r}: empty range {part!r}")
        values.update(range(start, end + 1, step or 1))
    return values


@lru_cache(maxsize=256)
def interval(cron: str) -> timedelta | None:
    """The longest gap between consecutive ticks of ``cron`` (UTC); None when there is no
    cadence (an empty string). Raises ValueError for a string that is not a five-field cron
    or that never fires."""
    text = _MACROS.get(cron.strip().lower(), cron.strip())
    if not text:
        return None
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"cron {cron!r}: expected five fields (minute hour day month weekday)")
    minutes, hours, days, months, weekdays = (_field(p, *spec, cron) for p, spec in zip(parts, _FIELDS))
    weekdays = {d % 7 for d in weekdays}
    # Vixie cron: with both day fields restricted a day matches either; otherwise both must.
    either = not parts[2].startswith("*") and not parts[4].startswith("*")
    times = sorted(h * 60 + m for h in hours for m in minutes)
    matching: list[int] = []
    for offset in range(_WINDOW_DAYS):
        day = _WINDOW_START + timedelta(days=offset)
        if day.month not in months:
            continue
        by_date, by_weekday = day.day in days, (day.weekday() + 1) % 7 in weekdays
        if (by_date or by_weekday) if either else (by_date and by_weekday):
            matching.append(offset)
    if len(matching) < 2 and (not matching or len(times) < 2):
        raise ValueError(f"cron {cron!r} fires {'once' if matching else 'never'} in eight years")
    gap = max((b - a for a, b in zip(times, times[1:])), default=0)
    for a, b in zip(matching, matching[1:]):
        gap = max(gap, (b - a) * 1440 - times[-1] + times[0])
    return timedelta(minutes=gap)


def allowed_age(cron: str) -> timedelta | None:
    """How old a payload may be before it is stale: ``MISSED_RUNS`` intervals plus ``SLACK``;
    None when the source has no cadence."""
    gap = interval(cron)
    return None if gap is None else MISSED_RUNS * gap + SLACK


def is_stale(fetched_at: datetime | None, cron: str, now: datetime) -> bool:
    """True when the payload fetched at ``fetched_at`` is older than ``cron`` allows. No payload
    or no cadence is never stale (a missing payload shows as ``failed``, not stale)."""
    limit = allowed_age(cron)
    if fetched_at is None or limit is None:
        return False
    return now - fetched_at > limit


def describe_age(age: timedelta) -> str:
    """``2d 3h``, ``5h 12m``, ``12m``, ``40s``."""
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"
