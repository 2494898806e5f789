"""The local stack: embedded NATS and PostgreSQL, and `jietiao up`, which runs every service."""
