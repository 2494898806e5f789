"""The evidence service's commands on NATS request/reply, for the gateway and for parties.

Subjects `<namespace>.cmd.evidence.<name>`; refusals carry `unknown_checkpoint`,
`index_out_of_range`, `sizes_reversed`, `not_anchored` or `note_not_found`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from services.evidence.queries import EvidenceNotFoundError, EvidenceQueries
from services.evidence.store import StoredCheckpoint
from shared.commands import CommandModel, CommandRejected, register_command
from shared.runtime import ServiceContext

_MESSAGES_ZH = {
    "unknown_checkpoint": "日志没有签发该大小的检查点",
    "index_out_of_range": "该叶子不在此检查点中",
    "sizes_reversed": "第一个大小大于第二个",
    "not_anchored": "该事件尚未记入存证日志",
    "note_not_found": "存证日志中没有该借条的事件",
}
_FIELDS = {
    "unknown_checkpoint": "tree_size",
    "index_out_of_range": "leaf_index",
    "sizes_reversed": "first",
    "not_anchored": "event_id",
    "note_not_found": "note_id",
}


class LatestCheckpoint(CommandModel):
    pass


class CheckpointResult(CommandModel):
    origin: str
    tree_size: int
    root_hash: str  # base64, as in the note
    note: str
    log_keys: list[str]


class InclusionProof(CommandModel):
    leaf_index: int = Field(ge=0)
    tree_size: int | None = Field(None, ge=1, description="a signed size; the latest if absent")


class InclusionProofResult(CommandModel):
    leaf_index: int
    tree_size: int
    proof: list[str]  # base64 hashes, the leaf's sibling first
    checkpoint: str


class ConsistencyProof(CommandModel):
    first: int = Field(ge=0)
    second: int | None = Field(None, ge=0, description="a signed size; the latest if absent")


class ConsistencyProofResult(CommandModel):
    first: int
    second: int
    proof: list[str]
    first_checkpoint: str
    second_checkpoint: str


class Receipt(CommandModel):
    event_id: uuid.UUID


class EvidencePack(CommandModel):
    note_id: uuid.UUID


class Document(CommandModel):
    document: dict[str, Any]


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


Request = TypeVar("Request", bound=BaseModel)


def _refusing(
    handle: Callable[[Request], Awaitable[BaseModel]],
) -> Callable[[Request], Awaitable[BaseModel]]:
    async def run(request: Request) -> BaseModel:
        try:
            return await handle(request)
        except EvidenceNotFoundError as missing:
            raise CommandRejected(
                missing.code,
                str(missing),
                message_zh=_MESSAGES_ZH[missing.code],
                field=_FIELDS[missing.code],
            ) from missing

    return run


class EvidenceCommands:
    def __init__(self, queries: EvidenceQueries) -> None:
        self.queries = queries

    def _checkpoint(self, stored: StoredCheckpoint) -> CheckpointResult:
        cp = stored.checkpoint
        return CheckpointResult(
            origin=cp.origin,
            tree_size=cp.size,
            root_hash=base64.b64encode(cp.root).decode(),
            note=stored.note,
            log_keys=self.queries.log_keys,
        )

    async def latest_checkpoint(self, _: LatestCheckpoint) -> CheckpointResult:
        return self._checkpoint(await self.queries.latest_checkpoint())

    async def inclusion_proof(self, request: InclusionProof) -> InclusionProofResult:
        proof, cp = await self.queries.inclusion_proof(request.leaf_index, request.tree_size)
        return InclusionProofResult(
            leaf_index=request.leaf_index,
            tree_size=cp.checkpoint.size,
            proof=_b64(proof),
            checkpoint=cp.note,
        )

    async def consistency_proof(self, request: ConsistencyProof) -> ConsistencyProofResult:
        proof, old, new = await self.queries.consistency_proof(request.first, request.second)
        return ConsistencyProofResult(
            first=old.checkpoint.size,
            second=new.checkpoint.size,
            proof=_b64(proof),
            first_checkpoint=old.note,
            second_checkpoint=new.note,
        )

    async def receipt(self, request: Receipt) -> Document:
        return Document(document=await self.queries.receipt(request.event_id))

    async def evidence_pack(self, request: EvidencePack) -> Document:
        return Document(document=await self.queries.evidence_pack(request.note_id))


def register(context: ServiceContext, commands: EvidenceCommands) -> None:
    routes: list[tuple[str, type[BaseModel], Callable[[Any], Awaitable[BaseModel]]]] = [
        ("latest_checkpoint", LatestCheckpoint, commands.latest_checkpoint),
        ("inclusion_proof", InclusionProof, commands.inclusion_proof),
        ("consistency_proof", ConsistencyProof, commands.consistency_proof),
        ("receipt", Receipt, commands.receipt),
        ("evidence_pack", EvidencePack, commands.evidence_pack),
    ]
    for name, model, handle in routes:
        register_command(context.broker, context.naming, "evidence", name, model, _refusing(handle))
