"""Asset definitions by stage: sources, normalise, core, publish."""
