-- The transparency log: one leaf per event id, the perfect-subtree hashes proofs are built from,
-- and the signed checkpoints. Rows are never updated or deleted.
CREATE TABLE {schema}.leaves (
    leaf_index  bigint      PRIMARY KEY CHECK (leaf_index >= 0),
    event_id    uuid        NOT NULL,
    source      text        NOT NULL,
    event_type  text        NOT NULL,
    stream_id   uuid        NOT NULL,
    version     integer     NOT NULL,
    note_id     uuid,
    received_at timestamptz NOT NULL,
    salt        bytea       NOT NULL CHECK (length(salt) = 32),
    entry       bytea       NOT NULL,
    leaf_hash   bytea       NOT NULL CHECK (length(leaf_hash) = 32),
    chain_hash  bytea       NOT NULL CHECK (length(chain_hash) = 32),
    event       bytea       NOT NULL,
    -- Exactly one leaf per event, however often the bus redelivers it.
    CONSTRAINT leaves_event_id UNIQUE (event_id)
);
CREATE INDEX leaves_stream_id ON {schema}.leaves (stream_id);
CREATE INDEX leaves_note_id ON {schema}.leaves (note_id) WHERE note_id IS NOT NULL;

-- Hash of every perfect subtree of level >= 1: node (level, i) covers leaves
-- [i * 2^level, (i + 1) * 2^level). Level 0 is leaves.leaf_hash.
CREATE TABLE {schema}.tree_nodes (
    level      smallint NOT NULL CHECK (level > 0),
    node_index bigint   NOT NULL CHECK (node_index >= 0),
    hash       bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, node_index)
);

-- One checkpoint per tree size: the log can never sign two roots for one size.
CREATE TABLE {schema}.checkpoints (
    tree_size bigint      PRIMARY KEY CHECK (tree_size >= 0),
    root_hash bytea       NOT NULL CHECK (length(root_hash) = 32),
    note      text        NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION {schema}.log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the evidence log is append-only' USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER leaves_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.leaves
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.log_is_append_only();
CREATE TRIGGER tree_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.log_is_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON {schema}.checkpoints FOR EACH STATEMENT EXECUTE FUNCTION {schema}.log_is_append_only();
