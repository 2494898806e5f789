-- Writes that appended to a party's stream in a round trip of their own, now appending in the
-- call that writes their rows. The append's parameters follow those of `append_events`.

-- `log_in`, then the new party's registration events (appended after version `p_expected`)
-- if the phone had no party: they are dropped, not appended, when it had one.
CREATE FUNCTION {schema}.log_in_and_register(
    p_code_id bigint, p_phone_index text, p_kid text, p_phone_sealed bytea, p_session_id uuid,
    p_at timestamptz, p_until timestamptz,
    p_stream_id uuid, p_expected integer, p_stream_type text, p_event_ids uuid[],
    p_event_types text[], p_schema_versions integer[], p_occurred_at timestamptz[],
    p_correlation_ids uuid[], p_causation_ids uuid[], p_actors text[], p_payloads jsonb[]
) RETURNS TABLE (party_id uuid, new_party boolean) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    SELECT l.party_id, l.new_party INTO party_id, new_party FROM {schema}.log_in(
        p_code_id, p_stream_id, p_phone_index, p_kid, p_phone_sealed, p_session_id, p_at, p_until
    ) l;
    IF new_party THEN
        PERFORM {schema}.append_events(p_stream_id, p_expected, p_stream_type, p_event_ids,
            p_event_types, p_schema_versions, p_occurred_at, p_correlation_ids, p_causation_ids,
            p_actors, p_payloads);
    END IF;
    RETURN NEXT;
END $$;

-- `redeem_ticket`, then the redemption's events appended to the party's stream after the version
-- it read under the party's lock (so there is no expected version to pass): the last position,
-- or NULL if the ticket was already redeemed and nothing was written.
CREATE FUNCTION {schema}.redeem_ticket_and_append(
    p_ticket_id uuid, p_note_id uuid, p_at timestamptz,
    p_stream_id uuid, p_stream_type text, p_event_ids uuid[], p_event_types text[],
    p_schema_versions integer[], p_occurred_at timestamptz[], p_correlation_ids uuid[],
    p_causation_ids uuid[], p_actors text[], p_payloads jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_version integer;
BEGIN
    v_version := {schema}.redeem_ticket(p_ticket_id, p_stream_id, p_note_id, p_at);
    IF v_version IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN {schema}.append_events(p_stream_id, v_version, p_stream_type, p_event_ids,
        p_event_types, p_schema_versions, p_occurred_at, p_correlation_ids, p_causation_ids,
        p_actors, p_payloads);
END $$;
