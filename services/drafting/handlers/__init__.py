"""Command handlers: gather what the outside world says, let the domain decide, save atomically.

Each handler refuses with a `CommandRejected` carrying the domain rule's code, field and messages
(see `base.refusals`); a refused command has saved nothing.
"""

from services.drafting.handlers.base import refusals, rejected
from services.drafting.handlers.invitations import InvitationCommands
from services.drafting.handlers.notes import NoteCommands
from services.drafting.handlers.queries import Queries
from services.drafting.handlers.signatures import SignatureConsumer


class Drafting(NoteCommands, InvitationCommands, Queries, SignatureConsumer):
    """The drafting service's handlers, over one store, identity port, vault and LPR table."""


__all__ = ["Drafting", "refusals", "rejected"]
