"""Events published by the signing service."""
