-- The event store, which is also the service's outbox.
CREATE TABLE {schema}.events (
    global_position bigint      NOT NULL,
    stream_id       uuid        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    stream_type     text        NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    occurred_at     timestamptz NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    actor           text        NOT NULL,
    payload         jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- The optimistic concurrency check: two writers of one version cannot both commit.
    CONSTRAINT events_stream_version PRIMARY KEY (stream_id, version),
    CONSTRAINT events_event_id UNIQUE (event_id),
    CONSTRAINT events_global_position UNIQUE (global_position)
);

CREATE FUNCTION {schema}.events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.events_are_append_only();

CREATE TABLE {schema}.relay_checkpoints (
    relay    text   PRIMARY KEY,
    position bigint NOT NULL CHECK (position >= 0)
);

CREATE TABLE {schema}.processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE {schema}.dead_letters (
    id          bigserial   PRIMARY KEY,
    consumer    text        NOT NULL,
    subject     text        NOT NULL,
    stream_seq  bigint,
    deliveries  integer     NOT NULL,
    event_id    text,
    reason      text        NOT NULL,
    headers     jsonb       NOT NULL,
    body        bytea       NOT NULL,
    dead_at     timestamptz NOT NULL DEFAULT now()
);
