-- Writes that each took several round trips, as one function call each.
--
-- Where a lock serialises commands, the reads that follow it are in a function, not in the
-- locking statement: a lone statement's snapshot is taken before it waits for the lock and would
-- miss what the holder committed, while a volatile plpgsql function takes a fresh snapshot for
-- each query, after the lock is granted.

-- The phone's rate-limit lock (the key the code used before: `code:<phone index>`), then the
-- purpose and time of each code sent to the phone since `p_since`.
CREATE FUNCTION {schema}.lock_phone_send_times(p_phone_index text, p_since timestamptz)
RETURNS TABLE (purpose text, sent_at timestamptz) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('code:' || p_phone_index));
    RETURN QUERY SELECT c.purpose, c.sent_at FROM {schema}.one_time_codes c
        WHERE c.phone_index = p_phone_index AND c.sent_at > p_since;
END $$;

-- A right login code: uses the code up, registers the phone's party unless it has one (with the
-- given id and sealed phone), and opens a session for whichever party it is.
CREATE FUNCTION {schema}.log_in(
    p_code_id bigint, p_party_id uuid, p_phone_index text, p_kid text, p_phone_sealed bytea,
    p_session_id uuid, p_at timestamptz, p_until timestamptz
) RETURNS TABLE (party_id uuid, new_party boolean) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_party uuid;
BEGIN
    UPDATE {schema}.one_time_codes SET attempts = attempts + 1, active = false
        WHERE id = p_code_id;
    INSERT INTO {schema}.parties (party_id, phone_index, kid, phone_sealed, created_at)
        VALUES (p_party_id, p_phone_index, p_kid, p_phone_sealed, p_at)
        ON CONFLICT (phone_index) DO NOTHING RETURNING party_id INTO v_party;
    new_party := v_party IS NOT NULL;
    IF v_party IS NULL THEN
        SELECT p.party_id INTO v_party FROM {schema}.parties p
            WHERE p.phone_index = p_phone_index;
    END IF;
    INSERT INTO {schema}.sessions (session_id, party_id, issued_at, expires_at)
        VALUES (p_session_id, v_party, p_at, p_until);
    party_id := v_party;
    RETURN NEXT;
END $$;

-- Locks the party's row until commit, so commands on one party are serialised, then reads its
-- stream. Given a ticket, it first uses up the party's latest unused presence check valid at
-- `p_at` for that ticket. No rows: no such party. Otherwise a first row with version 0 and the
-- method of the check taken (NULL if none was asked for or found), then the stream's events.
CREATE FUNCTION {schema}.lock_party(p_party_id uuid, p_ticket_id uuid, p_at timestamptz)
RETURNS TABLE (
    version integer, event_type text, schema_version integer, payload jsonb, check_method text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_check uuid;
    v_method text;
BEGIN
    PERFORM 1 FROM {schema}.parties p WHERE p.party_id = p_party_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_ticket_id IS NOT NULL THEN
        SELECT c.check_id, c.method INTO v_check, v_method FROM {schema}.presence_checks c
            WHERE c.party_id = p_party_id AND c.used_for IS NULL AND c.passed_at <= p_at
                AND c.valid_until > p_at
            ORDER BY c.passed_at DESC LIMIT 1 FOR UPDATE;
        UPDATE {schema}.presence_checks SET used_for = p_ticket_id WHERE check_id = v_check;
    END IF;
    RETURN QUERY SELECT 0, NULL::text, NULL::integer, NULL::jsonb, v_method;
    RETURN QUERY SELECT e.version, e.event_type, e.schema_version, e.payload, NULL::text
        FROM {schema}.events e WHERE e.stream_id = p_party_id ORDER BY e.version;
END $$;

-- Locks the party's row as `lock_party` does and records the ticket's redemption: the party's
-- stream version, or NULL if the ticket was already redeemed (the primary key lets one win).
CREATE FUNCTION {schema}.redeem_ticket(
    p_ticket_id uuid, p_party_id uuid, p_note_id uuid, p_at timestamptz
) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {schema}.parties p WHERE p.party_id = p_party_id FOR UPDATE;
    INSERT INTO {schema}.redeemed_tickets (ticket_id, party_id, note_id, redeemed_at)
        VALUES (p_ticket_id, p_party_id, p_note_id, p_at) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT coalesce(max(e.version), 0) FROM {schema}.events e
        WHERE e.stream_id = p_party_id);
END $$;
