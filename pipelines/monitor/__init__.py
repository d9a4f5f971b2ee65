"""Monitor area: availability probes, status pages, alert sensor and the monitor loop."""
