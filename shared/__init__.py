"""The kernel every Jietiao service shares: events, event store, bus, settings, logging."""
