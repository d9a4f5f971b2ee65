"""The WARN checks of each ``<source>_records`` asset, evaluated inside the asset's own step.

They are ``check_specs`` of the records asset (``pipelines/catalog/normalise.py``), not separate
check definitions: the records step yields its batch, then a result for each selected check (the
pattern of ``source_health`` on each ``<source>_raw``). One step per source instead of two, and no
second load of the batch from the IO manager.

- ``records_valid`` (every source): the source's offerings, prices, benchmarks and measurements
  have their columns, no null keys, prices >= 0 and context windows > 0 (a Great Expectations
  suite per non-empty frame, ``core/quality/record_suites.py``);
- ``payload_guard`` (fetched sources): the fresh payload looked broken next to the last good one
  and was held back (``core/quality/payload_guard.py``).

Both are warnings: they never fail the step (a check that cannot run reports that it could not),
so a bad source shows in the UI without stopping the catalog.
"""

from __future__ import annotations

from typing import Any, Iterator

import dagster as dg

from core.quality import expectations as gxe
from core.quality import record_suites
from core.quality.payload_guard import SHARE_VARIABLE, PayloadCheck
from core.quality.record_suites import RecordValidations, validate_records
from core.records import NormalisedBatch

RECORDS_CHECK = "records_valid"
GUARD_CHECK = "payload_guard"

RECORDS_DESCRIPTION = (
    "Warning: the source's offerings, prices, benchmarks and measurements have their columns, "
    "no null keys, prices >= 0 and context windows > 0."
)
GUARD_DESCRIPTION = (
    "Warning: the fresh payload looked broken next to the last good one and was held back "
    "(the last good payload is served as cached): far fewer models, accepted records, benchmark "
    "or price rows (a drop of more than AISI_DROP_GUARD_SHARE, default 20 %), most records "
    "rejected, or a field nearly every entry had gone (shape change)."
)


def records_check_specs(source: str, guarded: bool) -> list[dg.AssetCheckSpec]:
    """The checks ``<source>_records`` carries: ``records_valid``, and ``payload_guard`` when the
    source is fetched (``guarded``). Both WARN, never blocking."""
    asset = f"{source}_records"
    specs = [dg.AssetCheckSpec(RECORDS_CHECK, asset=asset, description=RECORDS_DESCRIPTION)]
    if guarded:
        specs.append(dg.AssetCheckSpec(GUARD_CHECK, asset=asset, description=GUARD_DESCRIPTION))
    return specs


def records_result(source: str, batch: NormalisedBatch, pending: RecordValidations | None = None) -> dg.AssetCheckResult:
    """``records_valid`` on the batch: fails (WARN) with every failed expectation, per frame.
    ``pending``: the batch's validations, handed to the validation worker when it was made."""
    outcomes = record_suites.outcomes(pending) if pending is not None else validate_records(batch)
    failures = [f for _, outcome in outcomes for f in outcome.failed]
    described = "; ".join(f"{name}: {gxe.describe(o.failed)}" for name, o in outcomes if o.failed) or "All expectations met."
    sample = "\n\n".join(f"### {name}\n\n{gxe.failures_markdown(o.failed)}" for name, o in outcomes if o.failed)
    return dg.AssetCheckResult(
        asset_key=f"{source}_records",
        check_name=RECORDS_CHECK,
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        description=described,
        metadata={
            "rows": dg.MetadataValue.json({name: o.rows for name, o in outcomes}),
            "failed_expectations": dg.MetadataValue.json(
                [{"frame": name, **f.summary()} for name, o in outcomes for f in o.failed]
            ),
            "failed_count": len(failures),
            "unexpected_rows": sum(int(f.unexpected_count or 0) for f in failures),
            "sample": dg.MetadataValue.md(sample or "All expectations met."),
            "validation_seconds": round(sum(o.elapsed_s for _, o in outcomes), 3),
        },
    )


def guard_result(source: str, batch: NormalisedBatch) -> dg.AssetCheckResult:
    """The payload guard's verdict on the fresh payload (``core/quality/payload_guard.py``)."""
    guard = batch.fetch.get("drop_guard")
    if not isinstance(guard, PayloadCheck):
        status = batch.fetch.get("status", "unknown")
        return dg.AssetCheckResult(
            asset_key=f"{source}_records", check_name=GUARD_CHECK, passed=True, severity=dg.AssetCheckSeverity.WARN,
            description=f"No fresh payload to compare (source {status}).", metadata={"fetch_status": str(status)},
        )
    metadata: dict[str, Any] = {k: v for k, v in guard.metadata().items() if v is not None}
    metadata["previous_count"] = guard.previous_entries if guard.previous_entries is not None else "none"
    for key in ("rejected_reasons", "lost_fields", "findings"):
        metadata[key] = dg.MetadataValue.json(metadata[key])
    fresh, old = guard.fresh, guard.previous
    if guard.held_back and batch.fetch.get("status") == "cached":
        description = f"{guard.message}: serving the last good payload (fetched {guard.previous_fetched_at}) as cached"
    elif guard.held_back:  # held back was impossible: the last good payload cannot be served
        description = str(batch.fetch.get("error") or guard.finding)
    elif guard.findings:  # the guard is off (AISI_DROP_GUARD_SHARE=1)
        description = f"Accepted with the guard off ({SHARE_VARIABLE}=1) despite: " + "; ".join(f.text for f in guard.findings)
    elif old is None:
        description = f"{fresh.entries} entries; no earlier good payload to compare with."
    else:
        counted = f", {fresh.accepted} accepted vs {old.accepted}" if fresh.measured and old.measured else ""
        description = (f"{fresh.entries} entries vs {old.entries} in the last good run{counted}: within the guard "
                       f"(drops up to {guard.threshold * 100:.0f} %, no usual field lost).")
    return dg.AssetCheckResult(
        asset_key=f"{source}_records",
        check_name=GUARD_CHECK,
        passed=not guard.held_back,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def _could_not_check(source: str, check: str, what: str, exc: Exception) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=f"{source}_records", check_name=check, passed=False, severity=dg.AssetCheckSeverity.WARN,
        description=f"could not {what}: {type(exc).__name__}: {exc}",
    )


def records_check_results(
    context: dg.AssetExecutionContext, source: str, batch: NormalisedBatch, pending: RecordValidations | None = None
) -> Iterator[dg.AssetCheckResult]:
    """The selected checks' results for ``<source>_records``, each failure logged as a warning
    (``pending``: the batch's validations, already handed to the validation worker).

    Yielded after the asset's output, inside its step: a check that raises reports that it could
    not check (failed, WARN) instead of failing the step, and with it the catalog downstream."""
    asset = dg.AssetKey(f"{source}_records")
    selected = context.selected_asset_check_keys
    if dg.AssetCheckKey(asset, RECORDS_CHECK) in selected:
        try:
            result = records_result(source, batch, pending)
        except Exception as exc:  # a warning must not fail the run: report that it could not check
            result = _could_not_check(source, RECORDS_CHECK, "validate the records", exc)
        if not result.passed:
            context.log.warning(f"{source}: records check failed: {result.description}")
        yield result
    if dg.AssetCheckKey(asset, GUARD_CHECK) in selected:
        try:
            result = guard_result(source, batch)
        except Exception as exc:
            result = _could_not_check(source, GUARD_CHECK, "read the payload guard's verdict", exc)
        if not result.passed:
            context.log.warning(f"{source}: {result.description}")
        yield result
