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

-- One round trip per append. The advisory lock serialises appends of this schema until commit,
-- so global positions are handed out in commit order and are gap-free: a reader tailing
-- positions never passes an event that has yet to commit.
CREATE FUNCTION {schema}.append_events(
    p_stream_id uuid, p_expected integer, p_stream_type text, p_event_ids uuid[],
    p_event_types text[], p_schema_versions integer[], p_occurred_at timestamptz[],
    p_correlation_ids uuid[], p_causation_ids uuid[], p_actors text[], p_payloads jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    actual integer;
    last bigint;
    n integer := cardinality(p_event_ids);
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('append:{schema}'));
    SELECT coalesce(max(version), 0) INTO actual FROM {schema}.events WHERE stream_id = p_stream_id;
    IF actual <> p_expected THEN
        RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, actual, p_expected
            USING ERRCODE = 'JT409', DETAIL = actual::text;
    END IF;
    SELECT coalesce(max(global_position), 0) INTO last FROM {schema}.events;
    INSERT INTO {schema}.events (global_position, stream_id, version, stream_type, event_id,
        event_type, schema_version, occurred_at, correlation_id, causation_id, actor, payload)
    SELECT last + e.i, p_stream_id, p_expected + e.i, p_stream_type, e.event_id, e.event_type,
        e.schema_version, e.occurred_at, e.correlation_id, e.causation_id, e.actor, e.payload
    FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_occurred_at, p_correlation_ids,
        p_causation_ids, p_actors, p_payloads) WITH ORDINALITY
        AS e(event_id, event_type, schema_version, occurred_at, correlation_id, causation_id,
             actor, payload, i);
    -- Wakes the relay at once instead of at its next poll; delivered only on commit.
    PERFORM pg_notify('{schema}_appended', (last + n)::text);
    RETURN last + n;
END $$;

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

-- How far an ordered consumer has got in each stream it reads.
CREATE TABLE {schema}.stream_positions (
    consumer  text    NOT NULL,
    source    text    NOT NULL,
    stream_id uuid    NOT NULL,
    version   integer NOT NULL,
    PRIMARY KEY (consumer, source, stream_id)
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
