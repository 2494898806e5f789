"""Pure rules of the identity context: no I/O, no clock, no randomness of their own."""
