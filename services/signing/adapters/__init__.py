"""I/O of the signing service: its tables, the identity service, the key vault."""
