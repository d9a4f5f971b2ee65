"""The availability monitor's logic: targets, probes, canaries, status pages, health and alert transitions."""
