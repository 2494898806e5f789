"""Signing: handwritten and digital signatures, the completion stamp, the two-party void."""
