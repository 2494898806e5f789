-- Parties' signing keys: the public half in clear, the private half AES-256-GCM sealed.
CREATE TABLE {schema}.party_keys (
    party_id   uuid        PRIMARY KEY,
    key_id     text        NOT NULL UNIQUE,
    public_key bytea       NOT NULL,
    vault_kid  text        NOT NULL,
    nonce      bytea       NOT NULL,
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Handwritten signatures as captured (strokes + PNG), sealed; events carry only their hashes.
CREATE TABLE {schema}.handwriting (
    digest     text        PRIMARY KEY,
    vault_kid  text        NOT NULL,
    nonce      bytea       NOT NULL,
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The 已完成签署 seal of each completed note, as rendered at completion.
CREATE TABLE {schema}.stamps (
    note_id      uuid        PRIMARY KEY,
    final_digest text        NOT NULL,
    completed_at timestamptz NOT NULL,
    svg          bytea       NOT NULL,
    png          bytea       NOT NULL
);

-- Open void requests, kept in the transaction of their events, for the expiry sweep.
CREATE TABLE {schema}.open_voids (
    note_id    uuid        PRIMARY KEY,
    void_id    uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX open_voids_expiry ON {schema}.open_voids (expires_at);
