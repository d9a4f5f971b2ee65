"""Offerings by billing kind on the real reference data, and what the price rules did.

    python -m core.catalog.billing_report [REFERENCE_DIR]

REFERENCE_DIR defaults to ``../shared/reference/data`` beside the repository. Per source:
offerings by billing kind (metered, free_tier, plan: ``config/billing.yaml``), price rows,
long-context tier rows (``above_tokens`` > 0), rows priced 0 (free tiers only) and duplicate ids
resolved in favour of the priced entry.
"""

from __future__ import annotations

import pandas as pd

from core.billing import BILLING_KINDS
from core.catalog.identity_report import load_batches, reference_argument
from core.records import DUPLICATE_KEPT_PRICED, NormalisedBatch


def billing_counts(batches: dict[str, NormalisedBatch]) -> pd.DataFrame:
    """Offerings per source (rows) and billing kind (columns)."""
    rows = {name: batch.offerings["billing"].value_counts() for name, batch in batches.items()}
    return pd.DataFrame(rows).T.reindex(columns=list(BILLING_KINDS)).fillna(0).astype(int)


def price_figures(batches: dict[str, NormalisedBatch]) -> pd.DataFrame:
    """Per source: price rows, tier rows, zero rows and priced duplicates kept."""
    figures = {
        name: {
            "price_rows": len(batch.prices),
            "tier_rows": int((batch.prices["above_tokens"] > 0).sum()),
            "zero_rows": int((batch.prices["usd_per_mtok"] == 0).sum()),
            "kept_priced_duplicate": int((batch.rejects["reason"] == DUPLICATE_KEPT_PRICED).sum()),
        }
        for name, batch in batches.items()
    }
    return pd.DataFrame(figures).T


def main(argv: list[str] | None = None) -> int:
    reference = reference_argument(argv)
    if reference is None:
        return 2
    batches = load_batches(reference)
    counts = billing_counts(batches)
    counts.loc["all sources"] = counts.sum()
    print(f"offerings by billing kind ({reference})")
    print(counts.to_string())
    print("\nprices")
    print(price_figures(batches).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
