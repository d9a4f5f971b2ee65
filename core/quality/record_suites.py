"""The Great Expectations suites of a source's records: each non-empty frame of a
``NormalisedBatch`` (offerings, prices, benchmarks, performance) has its columns, no null keys,
prices >= 0 and context windows > 0. What the ``records_valid`` check of ``<source>_records``
reports (``pipelines/catalog/record_checks.py``).

Here, below the Dagster layer, so that the fetch can hand a fresh batch's validations to the
validation worker as soon as it has normalised the payload (``core/fetch/engine.py``), long before
the records step asks for their outcomes."""

from __future__ import annotations

from core.quality import expectations as gxe
from core.quality.validation_worker import Pending
from core.records import BENCHMARK_COLUMNS, OFFERING_COLUMNS, PERFORMANCE_COLUMNS, PRICE_COLUMNS, NormalisedBatch

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

RecordValidations = list[tuple[str, Pending[gxe.ValidationOutcome]]]


def validate_records_later(batch: NormalisedBatch) -> RecordValidations:
    """(frame name, pending outcome) for each non-empty frame of ``batch`` (an empty one has
    nothing to check), handed to the validation worker now when one runs. The batch's frames must
    not change until the outcomes are taken."""
    pending = []
    for frame_name, (columns, checks) in RECORD_FRAMES.items():
        frame = getattr(batch, frame_name)
        if frame.empty:
            continue
        suite = [gxe.columns_exist(columns), *checks]
        pending.append((frame_name, gxe.validate_later(frame, f"records_{frame_name}", suite, sample_columns=RECORD_KEYS[frame_name])))
    return pending


def validate_records(batch: NormalisedBatch) -> list[tuple[str, gxe.ValidationOutcome]]:
    """(frame name, outcome) for each non-empty frame of ``batch``."""
    return outcomes(validate_records_later(batch))


def outcomes(pending: RecordValidations) -> list[tuple[str, gxe.ValidationOutcome]]:
    """The outcomes of validations handed over earlier, waiting for those not done yet."""
    return [(name, outcome.result()) for name, outcome in pending]
