"""Evidence: the transparency log of every event, signed checkpoints, proofs and audits."""
