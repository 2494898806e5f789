"""The log's pure core: Merkle hashing and proofs, checkpoints, signed notes, leaves, receipts.

Nothing here does I/O, and nothing imports beyond the standard library and `cryptography`, so the
offline verifier can ship with exactly these modules.
"""
