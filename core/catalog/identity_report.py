"""Identity quality on the real reference data: unmatched share and duplicate candidates.

    python -m core.catalog.identity_report [REFERENCE_DIR]

REFERENCE_DIR defaults to ``../shared/reference/data`` beside the repository. For each
source: records (offerings), how many no rule could place under a creator (unmatched) with
a few examples, and how many groups of distinct model keys remain that collapse to one
string under an aggressive normalisation (lower case, non-alphanumerics and the creator
removed): each such group is a candidate for "two keys, one model". Candidates include
false positives (``deepseek/v3`` vs ``ideogram/v3``); the figure is a trend, not a verdict.
The published figure (same model, no link, after folding) is ``duplicate_figure.py``'s.
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pandas as pd

from core.identity import UNMATCHED
from core.records import NormalisedBatch, Provenance
from core.sources import litellm, models_dev, openrouter

DEFAULT_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "data"
# Source name -> (parser module, file under the reference directory)
REFERENCE_FILES = {
    "openrouter": (openrouter, "openrouter/openrouter_models.2026-08-01.token-tariff.json"),
    "models_dev": (models_dev, "models.dev/api.json"),
    "litellm": (litellm, "litellm/model_prices_and_context_window.2026-07-24.json"),
}
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


@dataclass
class SourceFigures:
    source: str
    records: int
    unmatched: int
    unmatched_examples: list[str]
    duplicate_groups: list[list[str]]
    methods: dict[str, int]

    @property
    def unmatched_share(self) -> float:
        return self.unmatched / self.records if self.records else 0.0


def load_batches(reference: Path) -> dict[str, NormalisedBatch]:
    """Every reference file parsed and normalised as the pipeline does it."""
    now = datetime.now(timezone.utc)
    batches = {}
    for name, (module, path) in REFERENCE_FILES.items():
        entries = module.parse((reference / path).read_bytes())
        batches[name] = module.normalise(entries, Provenance(name, "aggregator", f"file:{path}", now))
    return batches


def duplicate_signature(model_key: str) -> str:
    """The aggressive form: lower case, creator dropped, non-alphanumerics dropped,
    and the creator's name dropped again where the model name repeats it."""
    creator, _, name = model_key.lower().partition("/")
    creator = _NOT_ALPHANUMERIC.sub("", creator)
    squeezed = _NOT_ALPHANUMERIC.sub("", name)
    if creator and squeezed.startswith(creator) and len(squeezed) > len(creator):
        squeezed = squeezed[len(creator) :]
    return squeezed


def duplicate_groups(model_keys: Iterable[str]) -> list[list[str]]:
    """Groups of distinct keys that share a duplicate signature, sorted."""
    by_signature: dict[str, set[str]] = defaultdict(set)
    for key in set(model_keys):
        by_signature[duplicate_signature(key)].add(key)
    return sorted(sorted(keys) for keys in by_signature.values() if len(keys) > 1)


def source_figures(source: str, offerings: pd.DataFrame, examples: int = 5) -> SourceFigures:
    unmatched = offerings[offerings["identity_method"] == UNMATCHED]
    shown = [f"{r.provider_id} {r.provider_model_id!r} -> {r.model_key}" for r in unmatched.head(examples).itertuples()]
    return SourceFigures(
        source=source,
        records=len(offerings),
        unmatched=len(unmatched),
        unmatched_examples=shown,
        duplicate_groups=duplicate_groups(offerings["model_key"]),
        methods={str(k): int(v) for k, v in offerings["identity_method"].value_counts().items()},
    )


def report(reference: Path, examples: int = 5) -> tuple[list[SourceFigures], list[list[str]], int]:
    """Figures per source, the duplicate-candidate groups across all sources, and the key count."""
    batches = load_batches(reference)
    figures = [source_figures(name, batch.offerings, examples) for name, batch in batches.items()]
    all_keys = pd.concat([b.offerings["model_key"] for b in batches.values()], ignore_index=True)
    return figures, duplicate_groups(all_keys), all_keys.nunique()


def _print_groups(groups: list[list[str]], examples: int) -> None:
    for group in groups[:examples]:
        print(f"      {' | '.join(group)}")


def reference_argument(argv: list[str] | None) -> Path | None:
    """The reference directory a report command was given (``argv``, default the command line's
    arguments; none: ``DEFAULT_REFERENCE``), or None, having said so, when it is not there."""
    args = sys.argv[1:] if argv is None else argv
    reference = Path(args[0]) if args else DEFAULT_REFERENCE
    if not reference.is_dir():
        print(f"reference data not found: {reference}", file=sys.stderr)
        return None
    return reference


def main(argv: list[str] | None = None) -> int:
    reference = reference_argument(argv)
    if reference is None:
        return 2
    started = time.perf_counter()
    figures, across, keys = report(reference)
    elapsed = time.perf_counter() - started
    print(f"identity report on {reference}")
    for f in figures:
        print(
            f"\n{f.source}: {f.records} records, unmatched {f.unmatched} ({f.unmatched_share:.2%}), "
            f"duplicate-candidate groups {len(f.duplicate_groups)}"
        )
        print("    methods: " + ", ".join(f"{method} {count}" for method, count in sorted(f.methods.items())))
        if f.unmatched_examples:
            print("    unmatched e.g.:")
            for line in f.unmatched_examples:
                print(f"      {line}")
        if f.duplicate_groups:
            print("    duplicate candidates e.g.:")
            _print_groups(f.duplicate_groups, 5)
    print(f"\nall sources: {keys} model keys, duplicate-candidate groups {len(across)}")
    _print_groups(across, 40)
    print(f"\n(parsed and resolved in {elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
