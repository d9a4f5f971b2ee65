"""The catalog's logic: merge, identity figures, changes, quarantine, reference prices, retention."""
