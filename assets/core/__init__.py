"""Core: the merge of every source into providers, models, offerings, prices, source runs."""
