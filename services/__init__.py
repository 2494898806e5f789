"""The Jietiao services: each runs as its own process and speaks NATS (the gateway also HTTP)."""
