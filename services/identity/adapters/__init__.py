"""Identity's I/O: the vault's cryptography, PostgreSQL, and the pluggable outside providers."""
