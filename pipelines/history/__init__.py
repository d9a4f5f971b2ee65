"""Backfills of dated price snapshots (History area, group ``history``): a source's payload as of a past day
(raw archive, or git for sources kept there), normalised by the source's own parser, and the
price history built day after day from those snapshots."""
