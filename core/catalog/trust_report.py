"""The trust figures of the catalog on the real reference data, in one command:

    python -m core.catalog.trust_report [REFERENCE_DIR]

It parses the three public aggregator files (``identity_report.REFERENCE_FILES``: OpenRouter,
models.dev, LiteLLM), merges them as a refresh does, and prints:

- the duplicate share: published model keys that are the same model as another published key
  without a link (``core/catalog/duplicate_figure.py``; goal under 2 %);
- source prices quarantined, by rule (``core/catalog/quarantine.py``), with examples;
- offerings by billing kind (metered, free tier, plan), where the catalog has billing;
- models with a reference price, by the kind of source it came from, and those without one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from core.catalog.duplicate_figure import DuplicateFigure, duplicate_figure
from core.catalog.identity_report import REFERENCE_FILES, load_batches, reference_argument
from core.catalog.merge import Catalog, merge_catalog
from core.catalog.reference import basis_counts
from core.identity import default_rules


@dataclass
class TrustFigures:
    catalog: Catalog
    duplicates: DuplicateFigure

    @property
    def quarantined_by_rule(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.catalog.quarantine["rule"].value_counts().sort_index().items()}

    @property
    def offerings_by_billing(self) -> dict[str, int]:
        offerings = self.catalog.offerings
        if "billing" not in offerings.columns:
            return {}
        return {str(k): int(v) for k, v in offerings["billing"].fillna("unknown").value_counts().sort_index().items()}

    @property
    def reference_basis(self) -> dict[str, int]:
        return basis_counts(self.catalog.reference_prices, self.catalog.models)


def trust_figures(reference: Path) -> TrustFigures:
    """The figures for the reference files under ``reference``."""
    batches = list(load_batches(reference).values())
    priority = {name: module.SPEC.priority for name, (module, _) in REFERENCE_FILES.items()}
    catalog = merge_catalog(batches, priority, default_rules().first_party, today=date(2026, 8, 1))
    return TrustFigures(catalog=catalog, duplicates=duplicate_figure(catalog.models))


def _examples(frame: pd.DataFrame, rule: str, count: int = 3) -> list[str]:
    rows = frame[frame["rule"] == rule].head(count)
    return [f"{r.source} {r.provider_id} {r.provider_model_id} {r.price_type}: {r.detail}" for r in rows.itertuples()]


def main(argv: list[str] | None = None) -> int:
    reference = reference_argument(argv)
    if reference is None:
        return 2
    started = time.perf_counter()
    figures = trust_figures(reference)
    catalog = figures.catalog
    print(f"trust figures on {reference}")
    print(f"models {len(catalog.models)}, offerings {len(catalog.offerings)}, current prices {len(catalog.prices)}")
    dup = figures.duplicates
    print(f"\nduplicate share: {len(dup.duplicate_keys)} of {dup.keys} keys = {dup.share:.2%} (goal under 2 %)")
    print(f"\nquarantined source prices: {len(catalog.quarantine)}")
    for rule, count in figures.quarantined_by_rule.items():
        print(f"    {rule}: {count}")
        for line in _examples(catalog.quarantine, rule):
            print(f"        {line}")
    billing = figures.offerings_by_billing
    print("\nofferings by billing kind: " + (", ".join(f"{k} {v}" for k, v in billing.items()) or "(no billing column)"))
    basis = figures.reference_basis
    with_price = sum(v for k, v in basis.items() if k != "none")
    print(f"\nmodels with a reference input price: {with_price} of {len(catalog.models)}")
    for kind, count in basis.items():
        print(f"    {kind}: {count}")
    print(f"\n(computed in {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
