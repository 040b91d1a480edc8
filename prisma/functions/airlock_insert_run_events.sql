-- Inserts a run's events (a JSON array of RunEventData) with the sequence numbers that end
-- at p_last_seq, in array order, and wakes every instance's subscribers when the
-- transaction commits. The caller has allocated the numbers on the Run row (and so holds
-- its row lock): airlock_append_run_events alone, airlock_write_run with its lease check.
CREATE OR REPLACE FUNCTION "airlock_insert_run_events"(p_run TEXT, p_last_seq INTEGER, p_events JSONB) RETURNS void AS $$
BEGIN
  INSERT INTO "RunEvent" ("runId", seq, type, data)
  SELECT p_run, p_last_seq - jsonb_array_length(p_events) + e.ordinality, e.value->>'type', e.value
  FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(value, ordinality);
  -- The channel is RUN_EVENTS_CHANNEL in server/db/run-events.ts (the sql-constants test checks).
  PERFORM pg_notify('airlock_run_events', p_run);
END;
$$ LANGUAGE plpgsql VOLATILE;
