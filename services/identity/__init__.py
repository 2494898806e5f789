"""Identity: real-name checks, face or alternative verification, signing tickets, the PII vault."""
