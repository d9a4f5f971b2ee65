"""Asset checks: Great Expectations suites on the merged tables (blocking: a failure keeps the
run from publishing, and the last snapshot keeps serving) and on each source's records
(warnings: a bad source shows in the UI without stopping the catalog).

On ``prices``, ``models`` and ``offerings`` (one GX validation per table per run, one Dagster
step, several checks):

- ``schema`` (blocking): every column of the published table (``sql/migrations``) exists, each
  holds values of its SQL type, and the table's NOT NULL columns have no nulls;
- ``keys`` (blocking): the table's primary key (and ``model_key``) has no nulls and is unique.
  The key of ``prices`` is (provider_id, provider_model_id, price_type, above_tokens, valid_from): a provider
  may serve one model under several ids (regional or tiered), each with its own price history,
  so (model_key, provider_id, price_type, valid_from) is not unique in real data; ``above_tokens``
  is the long-context tier (0 = base price);
- ``non_negative_prices`` (blocking, prices): ``usd_per_mtok >= 0``;
- ``context_window_positive`` (blocking, models and offerings): ``context_window > 0`` where known;
- ``plausible_prices`` (warning, prices): current prices at most ``AISI_PRICE_CEILING_USD_PER_MTOK``
  (default 1000) USD per 1M tokens; above it a price is suspicious (a per-token figure read as
  per-1M), flagged with the rows, but published.

On each ``<source>_records``: ``records_valid`` (warning: columns, keys not null, prices >= 0,
context windows > 0) and, for fetched sources, ``payload_guard`` (warning: the fresh payload
looked broken next to the last good one and was held back: far fewer models or accepted records,
most records rejected, prices gone, a usual field lost; ``assets/quality/payload_guard.py``).

Every result carries the failing expectations, unexpected counts and a markdown sample of the
failing rows. GX is imported when the first check runs, never when the definitions load.
"""


from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import dagster as dg
import pandas as pd

from assets.core.quarantine import CEILING_VARIABLE, DEFAULT_CEILING, price_ceiling
from assets.normalise.records import BENCHMARK_COLUMNS, OFFERING_COLUMNS, PERFORMANCE_COLUMNS, PRICE_COLUMNS, NormalisedBatch
from assets.quality import expectations as gxe
from assets.quality.payload_guard import SHARE_VARIABLE, PayloadCheck
from assets.quality.quarantine import quarantine_check
from assets.quality.tables import TableContract, table_contract
from assets.sources.registry import ALL_SOURCES, HTTP_SOURCES

GUARD_CHECK = "payload_guard"

@dataclass(frozen=True)
class Rule:
    """One asset check on a merged table: its expectations, given the table's contract."""

    name: str
    description: str
    blocking: bool
    expectations: Callable[[TableContract], list[gxe.Expect]]


def _schema(contract: TableContract) -> list[gxe.Expect]:
    typed = [gxe.of_kind(c, kind) for c in contract.column_names if (kind := contract.kind(c))]
    keys = set(_key_columns(contract))
    required = [gxe.not_null(c) for c in contract.not_null if c not in keys]
    return [gxe.columns_exist(contract.column_names), *typed, *required]


def _key_columns(contract: TableContract) -> list[str]:
    extra = ["model_key"] if "model_key" in contract.column_names and "model_key" not in contract.primary_key else []
    return [*contract.primary_key, *extra]


def _keys(contract: TableContract) -> list[gxe.Expect]:
    return [*(gxe.not_null(c) for c in _key_columns(contract)), gxe.unique(*contract.primary_key)]


def _non_negative_prices(_: TableContract) -> list[gxe.Expect]:
    return [gxe.between("usd_per_mtok", 0, label="usd_per_mtok >= 0")]


def _plausible_prices(_: TableContract) -> list[gxe.Expect]:
    ceiling = price_ceiling()
    return [gxe.between("usd_per_mtok", max_value=ceiling, where_null="valid_to",
                        label=f"current usd_per_mtok <= {ceiling:g} ({CEILING_VARIABLE})")]


def _context_window_positive(_: TableContract) -> list[gxe.Expect]:
    return [gxe.between("context_window", 0, strict_min=True, label="context_window > 0 where known")]


SCHEMA = Rule("schema", "Every column of the published table exists with values of its SQL type; NOT NULL columns have no nulls.", True, _schema)
KEYS = Rule("keys", "The table's primary key (and model_key) has no nulls and is unique.", True, _keys)
TABLE_RULES: dict[str, list[Rule]] = {
    "prices": [
        SCHEMA,
        Rule("keys", "No null keys; (provider_id, provider_model_id, price_type, above_tokens, valid_from), the table's primary key, is unique.", True, _keys),
        Rule("non_negative_prices", "Every price (usd_per_mtok, USD per 1M tokens) is >= 0.", True, _non_negative_prices),
        Rule("plausible_prices", f"Current prices are at most {CEILING_VARIABLE} (default {DEFAULT_CEILING:g}) USD per 1M tokens; "
             "a warning with the suspicious rows, not a block.", False, _plausible_prices),
    ],
    "models": [SCHEMA, KEYS, Rule("context_window_positive", "context_window > 0 wherever it is known.", True, _context_window_positive)],
    "offerings": [SCHEMA, KEYS, Rule("context_window_positive", "context_window > 0 wherever it is known.", True, _context_window_positive)],
}


def _result_metadata(outcome: gxe.ValidationOutcome, failures: Sequence[gxe.Failure], expectations: Sequence[gxe.Expect]) -> dict[str, Any]:
    unexpected = sum(int(f.unexpected_count or 0) for f in failures)
    return {
        "suite": outcome.suite,
        "rows": outcome.rows,
        "expectations": dg.MetadataValue.json([e.label for e in expectations]),
        "failed_expectations": dg.MetadataValue.json([f.summary() for f in failures]),
        "failed_count": len(failures),
        "unexpected_rows": unexpected,
        "sample": dg.MetadataValue.md(gxe.failures_markdown(failures)),
        "validation_seconds": round(outcome.elapsed_s, 3),
    }


def _describe(failures: Sequence[gxe.Failure]) -> str:
    if not failures:
        return "All expectations met."
    parts = []
    for f in failures:
        count = f" ({f.unexpected_count} rows)" if f.unexpected_count is not None else ""
        parts.append(f"{f.expectation}{count}" + (f": {f.error}" if f.error else ""))
    return "Failed: " + "; ".join(parts)


def table_check(table: str, rules: Sequence[Rule] | None = None) -> dg.AssetChecksDefinition:
    """The checks of one merged table: one step, one GX validation, one result per rule."""
    rules = list(rules if rules is not None else TABLE_RULES[table])
    specs = [dg.AssetCheckSpec(r.name, asset=table, description=r.description, blocking=r.blocking) for r in rules]

    @dg.multi_asset_check(
        name=f"{table}_quality",
        specs=specs,
        ins={"frame": dg.AssetIn(table)},
        can_subset=True,
        description=f"Great Expectations suite on `{table}`; blocking checks keep the run from publishing.",
    )
    def _check(context: dg.AssetCheckExecutionContext, frame: pd.DataFrame) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        chosen = [r for r in rules if r.name in selected]
        contract = table_contract(table)
        by_rule = {r.name: r.expectations(contract) for r in chosen}
        every = list(dict.fromkeys(e for expectations in by_rule.values() for e in expectations))
        outcome = gxe.validate(frame, f"{table}_quality", every, sample_columns=contract.primary_key)
        context.log.info(f"{table}: {len(every)} expectations on {outcome.rows} rows in {outcome.elapsed_s:.2f}s")
        for rule in chosen:
            failures = outcome.failures_of(by_rule[rule.name])
            metadata = _result_metadata(outcome, failures, by_rule[rule.name])
            if rule.name == "plausible_prices":
                metadata["ceiling_usd_per_mtok"] = price_ceiling()
            if rule.name == "keys":
                metadata["primary_key"] = ", ".join(contract.primary_key)
            if failures:
                log = context.log.error if rule.blocking else context.log.warning
                log(f"{table} check {rule.name} failed: {_describe(failures)}")
            yield dg.AssetCheckResult(
                asset_key=table,
                check_name=rule.name,
                passed=not failures,
                severity=dg.AssetCheckSeverity.ERROR if rule.blocking else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
                description=_describe(failures),
            )

    return _check


# -- each source's records --------------------------------------------------------------------

RECORD_FRAMES: dict[str, tuple[list[str], list[gxe.Expect]]] = {
    "offerings": (
        OFFERING_COLUMNS,
        [*(gxe.not_null(c) for c in ("provider_id", "provider_model_id", "model_key", "source", "source_kind")),
         gxe.between("context_window", 0, strict_min=True, label="context_window > 0 where known")],
    ),
    "prices": (
        PRICE_COLUMNS,
        [*(gxe.not_null(c) for c in ("provider_id", "provider_model_id", "model_key", "price_type", "usd_per_mtok")),
         gxe.between("usd_per_mtok", 0, label="usd_per_mtok >= 0")],
    ),
    "benchmarks": (BENCHMARK_COLUMNS, [*(gxe.not_null(c) for c in ("model_key", "benchmark", "score", "source"))]),
    "performance": (PERFORMANCE_COLUMNS, [*(gxe.not_null(c) for c in ("provider_id", "provider_model_id", "metric", "value"))]),
}
RECORD_KEYS = {
    "offerings": ["provider_id", "provider_model_id"],
    "prices": ["provider_id", "provider_model_id", "price_type", "above_tokens"],
    "benchmarks": ["model_key", "benchmark", "source_id"],
    "performance": ["provider_id", "provider_model_id", "metric"],
}


def validate_records(batch: NormalisedBatch) -> list[tuple[str, gxe.ValidationOutcome]]:
    """(frame name, outcome) for each non-empty frame of a batch (an empty one has nothing to check)."""
    outcomes = []
    for frame_name, (columns, checks) in RECORD_FRAMES.items():
        frame = getattr(batch, frame_name)
        if frame.empty:
            continue
        suite = [gxe.columns_exist(columns), *checks]
        outcomes.append((frame_name, gxe.validate(frame, f"records_{frame_name}", suite, sample_columns=RECORD_KEYS[frame_name])))
    return outcomes


def _records_result(source: str, batch: NormalisedBatch) -> dg.AssetCheckResult:
    outcomes = validate_records(batch)
    failures = [f for _, outcome in outcomes for f in outcome.failed]
    described = "; ".join(f"{name}: {_describe(o.failed)}" for name, o in outcomes if o.failed) or "All expectations met."
    sample = "\n\n".join(f"### {name}\n\n{gxe.failures_markdown(o.failed)}" for name, o in outcomes if o.failed)
    return dg.AssetCheckResult(
        asset_key=f"{source}_records",
        check_name="records_valid",
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


def _guard_result(source: str, batch: NormalisedBatch) -> dg.AssetCheckResult:
    """The payload guard's verdict on the fresh payload (``assets/quality/payload_guard.py``)."""
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


def records_check(module: Any) -> dg.AssetChecksDefinition:
    source = module.SPEC.name
    guarded = any(m.SPEC.name == source for m in HTTP_SOURCES)
    asset = f"{source}_records"
    specs = [
        dg.AssetCheckSpec(
            "records_valid", asset=asset,
            description="Warning: the source's offerings, prices, benchmarks and measurements have their columns, "
                        "no null keys, prices >= 0 and context windows > 0.",
        )
    ]
    if guarded:
        specs.append(
            dg.AssetCheckSpec(
                GUARD_CHECK, asset=asset,
                description="Warning: the fresh payload looked broken next to the last good one and was held back "
                            "(the last good payload is served as cached): far fewer models, accepted records, benchmark "
                            "or price rows (a drop of more than AISI_DROP_GUARD_SHARE, default 20 %), most records "
                            "rejected, or a field nearly every entry had gone (shape change).",
            )
        )

    @dg.multi_asset_check(
        name=f"{source}_records_quality",
        specs=specs,
        ins={"batch": dg.AssetIn(asset)},
        can_subset=True,
        description=f"Warnings on {source}'s normalised records (Great Expectations) and its payload guard.",
    )
    def _check(context: dg.AssetCheckExecutionContext, batch: NormalisedBatch) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        if "records_valid" in selected:
            try:
                result = _records_result(source, batch)
            except Exception as exc:  # a warning must not fail the run: report that it could not check
                result = dg.AssetCheckResult(
                    asset_key=asset, check_name="records_valid", passed=False, severity=dg.AssetCheckSeverity.WARN,
                    description=f"could not validate the records: {type(exc).__name__}: {exc}",
                )
            if not result.passed:
                context.log.warning(f"{source}: records check failed: {result.description}")
            yield result
        if GUARD_CHECK in selected:
            result = _guard_result(source, batch)
            if not result.passed:
                context.log.warning(f"{source}: {result.description}")
            yield result

    return _check


def quality_checks() -> list[dg.AssetChecksDefinition]:
    """Every check of the catalog graph: the merged tables' (blocking) and each source's records'."""
    return [*(table_check(table) for table in TABLE_RULES), quarantine_check(), *(records_check(m) for m in ALL_SOURCES)]
