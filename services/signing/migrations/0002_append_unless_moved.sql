-- The event store's append, answering NULL instead of failing when the stream has moved on.
-- Its exception block is a subtransaction inside the server: a consumer's transaction survives
-- a lost race without a SAVEPOINT and RELEASE of its own, two round trips each time.
CREATE FUNCTION {schema}.append_unless_moved(
    p_stream_id uuid, p_expected integer, p_stream_type text, p_event_ids uuid[],
    p_event_types text[], p_schema_versions integer[], p_occurred_at timestamptz[],
    p_correlation_ids uuid[], p_causation_ids uuid[], p_actors text[], p_payloads jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    violated text;
BEGIN
    RETURN {schema}.append_events(p_stream_id, p_expected, p_stream_type, p_event_ids,
        p_event_types, p_schema_versions, p_occurred_at, p_correlation_ids, p_causation_ids,
        p_actors, p_payloads);
EXCEPTION
    WHEN SQLSTATE 'JT409' THEN
        RETURN NULL;
    WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
        IF violated = 'events_stream_version' THEN
            RETURN NULL;
        END IF;
        RAISE;
END $$;
