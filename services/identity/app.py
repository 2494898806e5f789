"""Wiring of the identity service: its migrations, consumers and request handlers."""

from shared.runtime import ServiceDefinition

service = ServiceDefinition(name="identity")
