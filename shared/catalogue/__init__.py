"""The event catalogue: every event type any service publishes, one module per context.

Importing this package registers every payload class, so any service can parse any event.
"""

from shared.catalogue import drafting, evidence, identity, signing

__all__ = ["drafting", "evidence", "identity", "signing"]
