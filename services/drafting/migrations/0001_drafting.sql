-- The counterparty's display name and phone as the initiator typed them, with the commitment's
-- salt: personal data, so only AES-256-GCM ciphertext is stored. Events carry the commitment.
CREATE TABLE {schema}.contacts (
    note_id     uuid        NOT NULL,
    commitment  text        NOT NULL,
    key_id      text        NOT NULL,
    nonce       bytea       NOT NULL,
    ciphertext  bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (note_id, commitment)
);

-- Finds the note of an invitation token. Only the token's SHA-256 is kept: the token is a
-- bearer secret.
CREATE TABLE {schema}.invitations (
    token_hash  text        PRIMARY KEY,
    note_id     uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
