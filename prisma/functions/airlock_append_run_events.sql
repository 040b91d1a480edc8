-- Appends events to a run for any writer (engine, reviewer, canceller): allocates their
-- sequence numbers from Run.lastEventSeq, which also takes the run's row lock so writers
-- keep one order, inserts them and notifies. Returns the last sequence number.
CREATE OR REPLACE FUNCTION "airlock_append_run_events"(p_run TEXT, p_events JSONB) RETURNS INTEGER AS $$
DECLARE
  v_seq INTEGER;
BEGIN
  UPDATE "Run" SET "lastEventSeq" = "lastEventSeq" + jsonb_array_length(p_events)
  WHERE id = p_run
  RETURNING "lastEventSeq" INTO v_seq;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'run % does not exist', p_run USING ERRCODE = 'ZA004', DETAIL = p_run;
  END IF;
  PERFORM "airlock_insert_run_events"(p_run, v_seq, p_events);
  RETURN v_seq;
END;
$$ LANGUAGE plpgsql VOLATILE;
