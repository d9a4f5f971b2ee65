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

On ``quarantine``: ``nothing_quarantined`` (warning: the source prices held out of this run's
publish; ``pipelines/catalog/quarantine_check.py``).

On each ``<source>_records``: ``records_valid`` (warning: columns, keys not null, prices >= 0,
context windows > 0) and, for fetched sources, ``payload_guard`` (warning: the fresh payload
looked broken next to the last good one and was held back: far fewer models or accepted records,
most records rejected, prices gone, a usual field lost; ``core/quality/payload_guard.py``).
These are check specs of the records asset, evaluated in its own step
(``pipelines/catalog/record_checks.py``), not definitions here.

Every result carries the failing expectations, unexpected counts and a markdown sample of the
failing rows. GX is imported when the first check runs, never when the definitions load.
"""


from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import dagster as dg

from core.frames import Frame
from core.quality import expectations as gxe
from core.quality import validation_worker
from core.quality.tables import TableContract, table_contract
from core.settings import BY_NAME, settings
from core.settings import PRICE_CEILING_VARIABLE
from pipelines.catalog.quarantine_check import quarantine_check


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
    ceiling = settings().price_ceiling
    return [gxe.between("usd_per_mtok", max_value=ceiling, where_null="valid_to",
                        label=f"current usd_per_mtok <= {ceiling:g} ({PRICE_CEILING_VARIABLE})")]


def _context_window_positive(_: TableContract) -> list[gxe.Expect]:
    return [gxe.between("context_window", 0, strict_min=True, label="context_window > 0 where known")]


SCHEMA = Rule("schema", "Every column of the published table exists with values of its SQL type; NOT NULL columns have no nulls.", True, _schema)
KEYS = Rule("keys", "The table's primary key (and model_key) has no nulls and is unique.", True, _keys)
TABLE_RULES: dict[str, list[Rule]] = {
    "prices": [
        SCHEMA,
        Rule("keys", "No null keys; (provider_id, provider_model_id, price_type, above_tokens, valid_from), the table's primary key, is unique.", True, _keys),
        Rule("non_negative_prices", "Every price (usd_per_mtok, USD per 1M tokens) is >= 0.", True, _non_negative_prices),
        Rule("plausible_prices", f"Current prices are at most {PRICE_CEILING_VARIABLE} (default {BY_NAME[PRICE_CEILING_VARIABLE].default}) USD per 1M tokens; "
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


def _suite(contract: TableContract, rules: Sequence[Rule]) -> tuple[dict[str, list[gxe.Expect]], tuple[gxe.Expect, ...]]:
    """Each rule's expectations, and all of them once each: the table's one GX suite."""
    by_rule = {r.name: r.expectations(contract) for r in rules}
    return by_rule, tuple(dict.fromkeys(e for expectations in by_rule.values() for e in expectations))


# The merged tables' validations, handed to the validation worker by the catalog step as soon as
# each table is final (``submit_table_checks``), for the check steps of the same run in this
# process: (run id, table) -> (the suite, its pending outcome). One run's at a time.
_SUBMITTED: dict[tuple[str, str], tuple[tuple[gxe.Expect, ...], validation_worker.Pending[gxe.ValidationOutcome]]] = {}


def submit_table_checks(run_id: str, tables: Mapping[str, Frame]) -> None:
    """Hands the whole suite of each checked table among ``tables`` (final: they must not change
    afterwards) to the validation worker now, when one runs: it validates while the catalog step
    goes on, and the check steps that follow in this process take outcomes that are ready or
    nearly. What other runs handed over and nobody took is dropped."""
    for stale in [key for key in _SUBMITTED if key[0] != run_id]:
        del _SUBMITTED[stale]
    if not validation_worker.running():
        return
    for table in sorted(set(tables) & set(TABLE_RULES)):  # the order the check steps run in
        contract = table_contract(table)
        _, every = _suite(contract, TABLE_RULES[table])
        _SUBMITTED[(run_id, table)] = (
            every, gxe.validate_later(tables[table], f"{table}_quality", every, sample_columns=contract.primary_key))


def _validated(run_id: str, table: str, frame: Frame, every: tuple[gxe.Expect, ...], contract: TableContract) -> gxe.ValidationOutcome:
    """The outcome of the table's suite: the one submitted by this run's catalog step when it is
    this suite, else validated now."""
    submitted = _SUBMITTED.pop((run_id, table), None)
    if submitted is not None and submitted[0] == every:
        return submitted[1].result()
    return gxe.validate(frame, f"{table}_quality", every, sample_columns=contract.primary_key)


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
    def _check(context: dg.AssetCheckExecutionContext, frame: Frame) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        chosen = [r for r in rules if r.name in selected]
        contract = table_contract(table)
        by_rule, every = _suite(contract, chosen)
        outcome = _validated(context.run.run_id, table, frame, every, contract)
        context.log.info(f"{table}: {len(every)} expectations on {outcome.rows} rows in {outcome.elapsed_s:.2f}s")
        for rule in chosen:
            failures = outcome.failures_of(by_rule[rule.name])
            metadata = _result_metadata(outcome, failures, by_rule[rule.name])
            if rule.name == "plausible_prices":
                metadata["ceiling_usd_per_mtok"] = settings().price_ceiling
            if rule.name == "keys":
                metadata["primary_key"] = ", ".join(contract.primary_key)
            if failures:
                log = context.log.error if rule.blocking else context.log.warning
                log(f"{table} check {rule.name} failed: {gxe.describe(failures)}")
            yield dg.AssetCheckResult(
                asset_key=table,
                check_name=rule.name,
                passed=not failures,
                severity=dg.AssetCheckSeverity.ERROR if rule.blocking else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
                description=gxe.describe(failures),
            )

    return _check


def quality_checks() -> list[dg.AssetChecksDefinition]:
    """The catalog graph's separate check definitions: the merged tables' (one step per table) and
    the quarantine's. Each source's records checks are check specs of its records asset
    (``pipelines/catalog/record_checks.py``), run in that asset's step."""
    return [*(table_check(table) for table in TABLE_RULES), quarantine_check()]
