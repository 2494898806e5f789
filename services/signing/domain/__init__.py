"""The signing domain: pure functions and state, no I/O."""
