"""Benchmarks: scripts that print figures and rewrite bench/RESULTS.md; never timed unit tests."""
