"""`jietiao evidence-pack`: fetch a note's pack from a running evidence service into a file."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import nats

from shared.commands import CommandClient, CommandRejected
from shared.config import Settings
from shared.subjects import Naming


async def fetch_pack(settings: Settings, note_id: uuid.UUID) -> dict[str, object]:
    nc = await nats.connect(settings.nats_servers)
    try:
        client = CommandClient(nc, Naming(settings.namespace))
        reply = await client.call("evidence", "evidence_pack", {"note_id": str(note_id)})
    finally:
        await nc.close()
    document: dict[str, object] = reply["document"]
    return document


def evidence_pack_command(note_id: uuid.UUID, out: Path) -> int:
    try:
        pack = asyncio.run(fetch_pack(Settings(), note_id))
    except CommandRejected as refused:
        print(f"{refused.code}: {refused.message} / {refused.message_zh}")
        return 1
    out.write_text(json.dumps(pack, ensure_ascii=False, indent=2))
    print(f"evidence pack of note {note_id} written to {out}; check it with: jietiao verify {out}")
    return 0
