"""Drafting's I/O: the identity service over NATS, the contact vault."""
