"""Wiring of the signing service: its migrations, consumers and request handlers."""

from shared.runtime import ServiceDefinition

service = ServiceDefinition(name="signing")
