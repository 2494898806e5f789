"""NATS JetStream: stream declarations, the outbox relay and durable idempotent consumers."""
