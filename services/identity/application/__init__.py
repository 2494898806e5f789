"""Identity's command handlers: each validates, decides with the domain, and stores atomically."""
