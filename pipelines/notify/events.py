"""What a run's Dagster events say: its step errors and its failed blocking checks."""

from __future__ import annotations

from typing import Any

import dagster as dg

from core.notify.messages import FailedCheck


def _deepest(error: Any) -> Any:
    """The innermost cause of a SerializableErrorInfo (the user code's own exception)."""
    seen = 0
    while getattr(error, "cause", None) is not None and seen < 10:
        error, seen = error.cause, seen + 1
    return error


def run_errors(context: Any) -> list[str]:
    """``step: error`` for each failed step of a RunFailureSensorContext's run, else the run's own failure message."""
    errors: list[str] = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        error = _deepest(data.error) if data is not None and data.error is not None else None
        message = error.message.strip() if error is not None else (event.message or "failed")
        message = message.replace("dagster._core.errors.", "")  # Dagster's own errors by their short name
        errors.append(f"{event.step_key}: {message}")
    if not errors:
        failure = getattr(context, "failure_event", None)
        if failure is not None and failure.message:
            errors.append(failure.message.strip())
    return errors


def failed_blocking_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """The run's asset check evaluations that failed with severity ERROR and block (or do not say)."""
    failed: list[FailedCheck] = []
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event is not None else None
        if evaluation is None or evaluation.passed:
            continue
        if evaluation.severity != dg.AssetCheckSeverity.ERROR or evaluation.blocking is False:
            continue
        failed.append(FailedCheck(
            asset=evaluation.asset_key.to_user_string(),
            check_name=evaluation.check_name,
            severity=evaluation.severity.value,
            description=evaluation.description,
            metadata=dict(evaluation.metadata or {}),
        ))
    return failed
