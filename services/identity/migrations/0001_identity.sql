-- Identity's own tables. Personal data is only ever in `*_sealed` columns (AES-256-GCM, with the
-- key id of the row in `kid`) or as a keyed HMAC (`*_index`); nothing here is in clear.

-- A person, found by the blind index of their phone number.
CREATE TABLE {schema}.parties (
    party_id     uuid        PRIMARY KEY,
    phone_index  text        NOT NULL UNIQUE,
    kid          text        NOT NULL,
    phone_sealed bytea       NOT NULL,
    created_at   timestamptz NOT NULL
);

-- The verified identity of a party; one identity can back only one party.
CREATE TABLE {schema}.identities (
    party_id         uuid        PRIMARY KEY REFERENCES {schema}.parties,
    id_index         text        NOT NULL UNIQUE,
    kid              text        NOT NULL,
    id_number_sealed bytea       NOT NULL,
    legal_name_sealed bytea      NOT NULL,
    commitment       text        NOT NULL,
    masked_id        text        NOT NULL,
    verified_at      timestamptz NOT NULL
);

-- One-time SMS codes, as keyed hashes. Send times double as the rate limit's memory, so every
-- replica sees the same counts.
CREATE TABLE {schema}.one_time_codes (
    id          bigserial   PRIMARY KEY,
    phone_index text        NOT NULL,
    purpose     text        NOT NULL CHECK (purpose IN ('login', 'alternative')),
    code_hash   text        NOT NULL,
    sent_at     timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    active      boolean     NOT NULL DEFAULT true
);
CREATE INDEX one_time_codes_by_phone ON {schema}.one_time_codes (phone_index, purpose, sent_at);

CREATE TABLE {schema}.sessions (
    session_id uuid        PRIMARY KEY,
    party_id   uuid        NOT NULL REFERENCES {schema}.parties,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- A passed face or alternative check, good for issuing one ticket within its window.
CREATE TABLE {schema}.presence_checks (
    check_id      uuid        PRIMARY KEY,
    party_id      uuid        NOT NULL REFERENCES {schema}.parties,
    method        text        NOT NULL,
    provider_kind text        NOT NULL,
    request_id    text        NOT NULL,
    passed_at     timestamptz NOT NULL,
    valid_until   timestamptz NOT NULL,
    used_for      uuid
);
CREATE INDEX presence_checks_by_party ON {schema}.presence_checks (party_id, valid_until);

-- Redemption is what makes a ticket single-use: the primary key lets exactly one win.
CREATE TABLE {schema}.redeemed_tickets (
    ticket_id   uuid        PRIMARY KEY,
    party_id    uuid        NOT NULL,
    note_id     uuid        NOT NULL,
    redeemed_at timestamptz NOT NULL
);

-- Development only (JIETIAO_ENV dev/test): the codes the logging SMS sender "sent".
CREATE TABLE {schema}.dev_inbox (
    id          bigserial   PRIMARY KEY,
    phone_index text        NOT NULL,
    purpose     text        NOT NULL,
    code        text        NOT NULL,
    sent_at     timestamptz NOT NULL
);
