"""Events published by the evidence service."""
