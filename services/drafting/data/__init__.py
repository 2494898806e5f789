"""Data shipped with the drafting service (read with importlib.resources)."""
