"""Whether an area's schedules and sensors run from the moment the daemon starts: decided here,
once, for every area. Each is stopped until switched on in the UI, unless its area's
``AISI_<AREA>_AUTOSTART`` is 1 (core.settings)."""

from __future__ import annotations

from typing import Literal

import dagster as dg

from core.settings import settings

Area = Literal["catalog", "monitor", "notify", "maintenance"]


def autostarts(area: Area) -> bool:
    """Whether ``area``'s schedules and sensors start with the daemon."""
    return settings().autostart(area)


def schedule_status(area: Area) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if autostarts(area) else dg.DefaultScheduleStatus.STOPPED


def sensor_status(area: Area) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if autostarts(area) else dg.DefaultSensorStatus.STOPPED
