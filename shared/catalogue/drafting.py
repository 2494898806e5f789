"""Events published by the drafting service."""
