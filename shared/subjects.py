"""Names on the bus: `<namespace>.<service>.<stream_type>.<stream_id>.<EventType>`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Naming:
    namespace: str

    def event_subject(self, service: str, stream_type: str, stream_id: str, event_type: str) -> str:
        return f"{self.namespace}.{service}.{stream_type}.{stream_id}.{event_type}"

    def service_events(self, service: str) -> str:
        return f"{self.namespace}.{service}.>"

    def stream_name(self, service: str) -> str:
        return f"{self.namespace}_{service}".upper()

    def command_subject(self, service: str, command: str) -> str:
        # Commands use request/reply on core NATS, outside every event stream's subjects.
        return f"{self.namespace}.cmd.{service}.{command}"

    def durable_name(self, consumer: str, service: str) -> str:
        return f"{consumer}-from-{service}".replace(".", "_")
