-- Read models, built by consuming every service's events (rebuildable from zero by replay).

-- One row per note: the folded summary (`doc`) plus the columns lists filter and sort on.
CREATE TABLE {schema}.note_summaries (
    note_id     uuid        PRIMARY KEY,
    doc         jsonb       NOT NULL,
    status      text        NOT NULL,
    template    text,
    updated_at  timestamptz NOT NULL
);

-- Who may see a note, and as what (lender, borrower, payer, payee, party_a, party_b).
CREATE TABLE {schema}.note_parties (
    note_id     uuid NOT NULL,
    party_id    uuid NOT NULL,
    role        text NOT NULL,
    PRIMARY KEY (note_id, party_id)
);
CREATE INDEX note_parties_by_party ON {schema}.note_parties (party_id);

-- Every event of a note, from any service: the note's timeline.
CREATE TABLE {schema}.note_timeline (
    event_id    uuid        PRIMARY KEY,
    note_id     uuid        NOT NULL,
    source      text        NOT NULL,
    event_type  text        NOT NULL,
    version     integer     NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor       text,
    detail      jsonb       NOT NULL
);
CREATE INDEX note_timeline_by_note ON {schema}.note_timeline (note_id, occurred_at);

-- The evidence log's leaf of each anchored event (joined onto the timeline).
CREATE TABLE {schema}.anchors (
    event_id    uuid    PRIMARY KEY,
    note_id     uuid    NOT NULL,
    leaf_index  bigint  NOT NULL,
    leaf_hash   text    NOT NULL
);

-- Invitation tokens by hash only, so "open by token" finds exactly one note.
CREATE TABLE {schema}.invitations (
    token_hash  text        PRIMARY KEY,
    note_id     uuid        NOT NULL,
    expires_at  timestamptz NOT NULL,
    state       text        NOT NULL
);

-- Fixed-window request counters for rate limits (login, verification).
CREATE TABLE {schema}.rate_limits (
    bucket       text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
