-- The handwritten signatures as the gateway forwarded them, shown on the completed note to its
-- parties only. (The signing service keeps its own sealed copy, which it does not hand out.)
CREATE TABLE {schema}.handwriting (
    note_id     uuid        NOT NULL,
    party_id    uuid        NOT NULL,
    purpose     text        NOT NULL,
    png         bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (note_id, party_id, purpose)
);
