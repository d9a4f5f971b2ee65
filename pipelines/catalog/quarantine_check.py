"""The quarantine's WARN check: the values held out of this run's publish, listed by rule."""

from __future__ import annotations

import dagster as dg

from core.frames import Frame

SAMPLE_COLUMNS = ["rule", "provider_id", "provider_model_id", "price_type", "usd_per_mtok", "source", "held_usd_per_mtok", "detail"]


def quarantine_result(frame: Frame, sample: int = 20) -> dg.AssetCheckResult:
    """Passes when nothing is quarantined; else a warning with the count per rule and the rows."""
    by_rule = {str(k): int(v) for k, v in frame["rule"].value_counts().items()} if len(frame) else {}
    if frame.empty:
        description = "No value quarantined: every source price passed the plausibility rules."
    else:
        counts = ", ".join(f"{n} {rule}" for rule, n in sorted(by_rule.items()))
        description = f"{len(frame)} source price(s) quarantined ({counts}): not published; the previous value stays current where there was one."
    rows = frame.reindex(columns=SAMPLE_COLUMNS).head(sample)
    return dg.AssetCheckResult(
        asset_key="quarantine",
        check_name="nothing_quarantined",
        passed=frame.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "quarantined": len(frame),
            "by_rule": dg.MetadataValue.json(by_rule),
            "sample": dg.MetadataValue.md(rows.to_markdown(index=False) if len(rows) else "none"),
        },
    )


def quarantine_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset="quarantine",
        name="nothing_quarantined",
        description="Warning: source prices that failed a plausibility rule this run (not published), with rule, source and reason.",
    )
    def _check(quarantine: Frame) -> dg.AssetCheckResult:
        return quarantine_result(quarantine)

    return _check
