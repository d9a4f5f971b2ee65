"""Great Expectations (GX 1.x) suites built in code and run on pandas frames.

Expectations are declared without GX (``Expect``: the name of a class in
``great_expectations.expectations`` and its arguments), so the code location imports nothing
heavy; ``validate`` imports GX and validates the whole frame as one batch of an ephemeral data
context (pandas data source, dataframe asset, whole-dataframe batch definition).

Cost: the GX import (seconds) and the context are paid once per process, each suite is built once
per process, and a validation loads its batch once (no fingerprint of the frame). It runs in two
passes: every expectation with ``BOOLEAN_ONLY`` results (GX computes whether it holds, not the
failing rows: the common, passing case stops here), then only the failed ones again with
``SUMMARY`` results (counts, percentages, the indexes of failing rows for the sample). The
verdicts and the details of each failure are those of one ``SUMMARY`` validation.

Types: GX 1.24 compares a column's dtype by name and does not recognise pandas 3's default
``str`` dtype or time-zone-aware ``datetime64[.., UTC]``; such columns (and columns that are
entirely null) are validated as object columns, where GX checks the type of every value
(``str``, ``Timestamp``, ``int``/``float``) instead of the dtype.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from core.quality import validation_worker

if TYPE_CHECKING:  # the frames come from the caller; importing this module needs no pandas
    import pandas as pd

# Value kinds for ``of_kind`` and the GX type names each accepts.
STRING = "string"
NUMBER = "number"
TIMESTAMP = "timestamp"
TYPE_LISTS: dict[str, tuple[str, ...]] = {
    STRING: ("str",),
    NUMBER: (
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
        "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype", "Float32Dtype", "Float64Dtype", "int", "float",
    ),
    TIMESTAMP: ("Timestamp", "datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"),
}
SAMPLE_ROWS = 10  # failing rows kept per failed expectation


@dataclass(frozen=True)
class Expect:
    """One expectation: ``kind`` is a class of ``great_expectations.expectations``; ``kwargs`` its
    arguments (as a tuple of pairs, so an expectation is hashable); ``label`` says it for people."""

    kind: str
    kwargs: tuple[tuple[str, Any], ...]
    label: str

    @property
    def arguments(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.kwargs}

    def build(self, gx: Any) -> Any:
        """The GX expectation; ``where_null=<column>`` becomes the row condition "column is null"."""
        arguments = self.arguments
        where_null = arguments.pop("where_null", None)
        if where_null is not None:
            from great_expectations.expectations.row_conditions import Column

            arguments["row_condition"] = Column(where_null).is_null()
        return getattr(gx.expectations, self.kind)(**arguments)

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame columns this expectation reads (none for table-level ones)."""
        args = dict(self.kwargs)
        columns: tuple[str, ...] = ()
        if "column" in args:
            columns = (args["column"],)
        elif "column_list" in args:
            columns = tuple(args["column_list"])
        return columns + ((args["where_null"],) if "where_null" in args else ())


def columns_exist(columns: Iterable[str]) -> Expect:
    names = tuple(columns)
    return Expect("ExpectTableColumnsToMatchSet", (("column_set", names), ("exact_match", False)), f"columns {', '.join(names)} exist")


def not_null(column: str) -> Expect:
    return Expect("ExpectColumnValuesToNotBeNull", (("column", column),), f"{column} is not null")


def unique(*columns: str) -> Expect:
    if len(columns) == 1:
        return Expect("ExpectColumnValuesToBeUnique", (("column", columns[0]),), f"{columns[0]} is unique")
    return Expect("ExpectCompoundColumnsToBeUnique", (("column_list", tuple(columns)),), f"({', '.join(columns)}) is unique")


def between(
    column: str,
    min_value: float | None = None,
    max_value: float | None = None,
    *,
    strict_min: bool = False,
    strict_max: bool = False,
    where_null: str | None = None,
    label: str | None = None,
) -> Expect:
    """Non-null values within the bounds (nulls are not checked: pair with ``not_null``).
    ``where_null`` restricts the rows checked to those where that column is null."""
    kwargs: list[tuple[str, Any]] = [("column", column)]
    parts = []
    if min_value is not None:
        kwargs += [("min_value", min_value), ("strict_min", strict_min)]
        parts.append(f"{column} {'>' if strict_min else '>='} {min_value:g}")
    if max_value is not None:
        kwargs += [("max_value", max_value), ("strict_max", strict_max)]
        parts.append(f"{column} {'<' if strict_max else '<='} {max_value:g}")
    if where_null:
        kwargs.append(("where_null", where_null))
    text = " and ".join(parts) + (f" where {where_null} is null" if where_null else "")
    return Expect("ExpectColumnValuesToBeBetween", tuple(kwargs), label or text)


def of_kind(column: str, kind: str) -> Expect:
    """Values of ``column`` are of ``kind`` (STRING, NUMBER or TIMESTAMP); nulls are not checked."""
    return Expect("ExpectColumnValuesToBeInTypeList", (("column", column), ("type_list", TYPE_LISTS[kind])), f"{column} is a {kind}")


@dataclass(frozen=True)
class Failure:
    """One failed expectation: how many rows fail and a sample of them."""

    expect: Expect
    unexpected_count: int | None
    unexpected_percent: float | None
    observed: Any
    sample: pd.DataFrame
    error: str | None = None

    @property
    def expectation(self) -> str:
        return self.expect.label

    @property
    def columns(self) -> tuple[str, ...]:
        return self.expect.columns

    def summary(self) -> dict[str, Any]:
        """Plain values for the check's metadata."""
        found: dict[str, Any] = {"expectation": self.expect.label, "gx": self.expect.kind, "columns": list(self.columns)}
        if self.unexpected_count is not None:
            found["unexpected_count"] = int(self.unexpected_count)
        if self.unexpected_percent is not None:
            found["unexpected_percent"] = round(float(self.unexpected_percent), 4)
        if self.observed is not None:
            found["observed"] = _plain(self.observed)
        if self.error:
            found["error"] = self.error
        return found


@dataclass(frozen=True)
class ValidationOutcome:
    suite: str
    success: bool
    rows: int
    evaluated: int
    failed: list[Failure] = field(default_factory=list)
    elapsed_s: float = 0.0

    def failures_of(self, expectations: Iterable[Expect]) -> list[Failure]:
        wanted = set(expectations)
        return [f for f in self.failed if f.expect in wanted]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Runtime:
    """What every validation of the process shares: the ``great_expectations`` module, the
    whole-dataframe batch definition of one ephemeral context's pandas data source, and GX's
    validator class (the one ``Batch.validate`` builds)."""

    gx: Any
    batch_definition: Any
    validator: Any


@lru_cache(maxsize=1)
def _gx() -> _Runtime:
    """The GX runtime, built once per process (the import alone is seconds; the context and
    data source are reused by every validation)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.validator.v1_validator import Validator

    # GX fingerprints every pandas batch (an md5 of the hashed frame, or of the pickled frame when
    # a column holds lists) for the result's batch markers, which nothing here reads: up to 0.1 s a
    # frame on the catalog's tables. Frames smaller than this threshold are fingerprinted; none is.
    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas(name="aisi").add_dataframe_asset(name="frames")
    return _Runtime(gx, asset.add_batch_definition_whole_dataframe("whole_frame"), Validator)


@lru_cache(maxsize=128)
def _suite(name: str, expectations: tuple[Expect, ...]) -> Any:
    """The GX suite of ``expectations`` (each tagged with its index), built once per process."""
    gx = _gx().gx
    suite = gx.ExpectationSuite(name=name)
    for index, expect in enumerate(expectations):
        expectation = expect.build(gx)
        expectation.meta = {"aisi_index": index}
        suite.add_expectation(expectation)
    return suite


# Pass 1 decides; pass 2 (only for what failed) counts the failing rows and samples them.
_DECIDE = {"result_format": "BOOLEAN_ONLY"}
_DETAIL = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}


def _run(view: pd.DataFrame, suite_name: str, expectations: tuple[Expect, ...], result_format: dict[str, Any]) -> list[tuple[Expect, Any]]:
    """(expectation, GX result) for each expectation, validated on ``view`` as one batch: one
    batch load, one metric graph for the suite (what ``Batch.validate`` does, without loading the
    batch a second time into a throwaway batch definition)."""
    runtime = _gx()
    validator = runtime.validator(
        batch_definition=runtime.batch_definition, batch_parameters={"dataframe": view}, result_format=dict(result_format)
    )
    result = validator.validate_expectation_suite(_suite(suite_name, expectations))
    return [(expectations[int(item.expectation_config.meta["aisi_index"])], item) for item in result.results]


def _typed_view(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``frame`` with a fresh index; its string, time-zone-aware and all-null columns as object.
    Only ``columns`` (those the expectations read; all when None) are cast: the others are only
    counted among the frame's columns, and casting a string column copies every value."""
    import pandas as pd

    view = frame.reset_index(drop=True)
    cast = {}
    for column in view.columns if columns is None else dict.fromkeys(columns):
        dtype = view[column].dtype
        if isinstance(dtype, (pd.StringDtype, pd.DatetimeTZDtype)) or (len(view) and view[column].isna().all()):
            cast[column] = object
    return view.astype(cast) if cast else view


def _sample(frame: pd.DataFrame, indexes: Sequence[int], columns: Sequence[str]) -> pd.DataFrame:
    present = [c for c in dict.fromkeys(columns) if c in frame.columns]
    rows = [i for i in indexes if 0 <= int(i) < len(frame)][:SAMPLE_ROWS]
    return frame.iloc[rows][present] if present else frame.iloc[rows]


def warm() -> None:
    """Imports GX and builds its runtime now (what the first validation would otherwise pay)."""
    _gx()


def validate(
    frame: pd.DataFrame, suite_name: str, expectations: Sequence[Expect], sample_columns: Sequence[str] = ()
) -> ValidationOutcome:
    """Validates the whole ``frame`` against the expectations, as GX suite ``suite_name``.

    An expectation on a column the frame does not have is not sent to GX; it is reported failed
    ("column missing"). Each failure keeps up to ``SAMPLE_ROWS`` failing rows, with
    ``sample_columns`` (the row's key) and the columns the expectation reads. Runs in the
    validation worker when the process started one (``core/quality/validation_worker.py``)."""
    return validate_later(frame, suite_name, expectations, sample_columns).result()


def validate_later(
    frame: pd.DataFrame, suite_name: str, expectations: Sequence[Expect], sample_columns: Sequence[str] = ()
) -> validation_worker.Pending[ValidationOutcome]:
    """``validate``, handed to the validation worker now (when one runs), its outcome taken later;
    without a worker, validated here when the outcome is first asked for. ``frame`` must not
    change until the outcome is taken: it is sent to the worker from a thread of the pool's."""
    return validation_worker.submit(_validate, frame, suite_name, tuple(expectations), tuple(sample_columns))


def _validate(
    frame: pd.DataFrame, suite_name: str, expectations: Sequence[Expect], sample_columns: Sequence[str]
) -> ValidationOutcome:
    started = time.perf_counter()
    present = set(frame.columns)
    runnable = tuple(e for e in expectations if all(c in present for c in e.columns))
    failed: list[Failure] = [
        Failure(e, None, None, None, frame.iloc[0:0], error=f"column missing: {', '.join(c for c in e.columns if c not in present)}")
        for e in expectations
        if e not in runnable
    ]
    view = _typed_view(frame, (c for e in runnable for c in e.columns))
    if runnable:
        with _LOCK:
            decided = _run(view, suite_name, runnable, _DECIDE)
            failing = tuple(expect for expect, item in decided if not item.success)
            detailed = _run(view, suite_name, failing, _DETAIL) if failing else []
        for expect, item in detailed:
            if item.success:  # the verdict is the detailed pass's, as when it was the only one
                continue
            details = item.result or {}
            info = item.exception_info or {}
            error = None
            raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
            if info.get("raised_exception") or raised:
                error = str((raised[0] if raised else info).get("exception_message") or "expectation raised")
            observed = details.get("observed_value")
            if "details" in details and isinstance(details["details"], dict):
                observed = {"observed": observed, **details["details"]}
            failed.append(
                Failure(
                    expect,
                    details.get("unexpected_count"),
                    details.get("unexpected_percent"),
                    observed,
                    _sample(frame.reset_index(drop=True), details.get("partial_unexpected_index_list") or [], [*sample_columns, *expect.columns]),
                    error=error,
                )
            )
    order = {e: i for i, e in enumerate(expectations)}
    failed.sort(key=lambda f: order[f.expect])
    return ValidationOutcome(
        suite=suite_name,
        success=not failed,
        rows=len(frame),
        evaluated=len(expectations),
        failed=failed,
        elapsed_s=time.perf_counter() - started,
    )


def describe(failures: Sequence[Failure]) -> str:
    """The failures in one line, for a check result's description."""
    if not failures:
        return "All expectations met."
    parts = []
    for f in failures:
        count = f" ({f.unexpected_count} rows)" if f.unexpected_count is not None else ""
        parts.append(f"{f.expectation}{count}" + (f": {f.error}" if f.error else ""))
    return "Failed: " + "; ".join(parts)


def failures_markdown(failures: Sequence[Failure]) -> str:
    """Each failure with its counts and sample rows, as markdown for the Dagster UI."""
    if not failures:
        return "All expectations met."
    parts = []
    for failure in failures:
        head = f"**{failure.expectation}** (`{failure.expect.kind}`)"
        if failure.unexpected_count is not None:
            head += f": {failure.unexpected_count} row(s)"
        if failure.error:
            head += f": {failure.error}"
        elif failure.observed is not None and failure.unexpected_count is None:
            head += f": observed {_plain(failure.observed)}"
        parts.append(head)
        if len(failure.sample):
            parts.append(failure.sample.astype(object).where(failure.sample.notna(), None).to_markdown(index=False))
    return "\n\n".join(parts)
