"""The fetch engine: one source's conditional fetch, archive fallback and payload guard; the OpenRouter endpoints fan-out."""
