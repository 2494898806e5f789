"""Settings of the evidence log: its origin line and its signing keys (`JIETIAO_EVIDENCE_*`)."""

from __future__ import annotations

import hashlib

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.evidence.domain.note import Signer, Verifier, parse_skey, parse_vkey


class InsecureKeyError(RuntimeError):
    """Production without configured signing keys: refusing to sign with a well-known key."""


class EvidenceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIETIAO_EVIDENCE_", extra="ignore", frozen=True)

    # The checkpoint's first line and the key name: a schema-less URL naming this log.
    origin: str = Field("jietiao.dev/evidence/v1", pattern=r"^[\x21-\x2a\x2c-\x7e]{1,200}$")
    # Go-style `PRIVATE+KEY+<name>+<id>+<key>` strings, separated by commas. Every key signs each
    # checkpoint, so a rotation adds the new key beside the old one, then drops the old one.
    signing_keys: str = ""
    # `<name>+<id>+<key>` strings of keys that no longer sign but whose checkpoints still verify.
    retired_keys: str = ""
    batch_size: int = Field(500, ge=1, le=10_000)
    fetch_timeout_seconds: float = Field(0.5, gt=0)
    ack_wait_seconds: float = Field(30, gt=0)

    def signers(self, env: str) -> list[Signer]:
        configured = [parse_skey(k.strip()) for k in self.signing_keys.split(",") if k.strip()]
        if configured:
            return configured
        if env == "prod":
            raise InsecureKeyError("JIETIAO_EVIDENCE_SIGNING_KEYS must be set in production")
        return [dev_signer(self.origin)]

    def verifiers(self, env: str) -> list[Verifier]:
        retired = [parse_vkey(k.strip()) for k in self.retired_keys.split(",") if k.strip()]
        return [s.verifier for s in self.signers(env)] + retired


def dev_signer(origin: str) -> Signer:
    # Deterministic so a dev stack's old checkpoints verify after a restart; never used in prod.
    return Signer(
        origin, hashlib.sha256(b"jietiao insecure dev evidence key\n" + origin.encode()).digest()
    )
