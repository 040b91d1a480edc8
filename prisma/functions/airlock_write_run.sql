-- One write of the engine (see airlock_apply_run_write): SQLSTATE ZA001 (LeaseLostError in
-- server/db/errors.ts) when the worker no longer holds the run's lease, and nothing written.
-- Its audit events are appended last (see airlock_apply_run_write).
CREATE OR REPLACE FUNCTION "airlock_write_run"(p JSONB) RETURNS INTEGER AS $$
DECLARE
  v_seq INTEGER := "airlock_apply_run_write"(p);
BEGIN
  IF v_seq IS NULL THEN
    RAISE EXCEPTION 'worker % does not hold the lease on run %', p->>'workerId', p->>'runId'
      USING ERRCODE = 'ZA001', DETAIL = p->>'runId';
  END IF;
  IF jsonb_array_length(coalesce(p->'audits', '[]')) > 0 THEN
    PERFORM "airlock_append_audits"(p->'audits');
  END IF;
  RETURN v_seq;
END;
$$ LANGUAGE plpgsql VOLATILE;
