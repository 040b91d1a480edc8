-- Several runs' writes (a JSON array of airlock_apply_run_write arguments) in one
-- transaction: one round trip and one commit for what many runs streamed meanwhile
-- (server/db/run-write.ts batches them). Each write is applied as airlock_write_run
-- applies it, in array order; a write whose worker no longer holds its run's lease
-- writes nothing and the others still apply. Returns the array positions (from 0) of
-- those lease-lost writes. The caller orders the writes by run id, so two batches take
-- the runs' row locks in one order and cannot deadlock. The applied writes' audit events
-- are appended once, after every row lock (see airlock_apply_run_write), in array order.
CREATE OR REPLACE FUNCTION "airlock_write_runs"(p JSONB) RETURNS INTEGER[] AS $$
DECLARE
  v_lost INTEGER[] := '{}';
  v_audits JSONB := '[]';
  item JSONB;
  v_position BIGINT;
BEGIN
  FOR item, v_position IN SELECT value, ordinality - 1 FROM jsonb_array_elements(p) WITH ORDINALITY LOOP
    IF "airlock_apply_run_write"(item) IS NULL THEN
      v_lost := v_lost || v_position::int;
    ELSE
      v_audits := v_audits || coalesce(item->'audits', '[]');
    END IF;
  END LOOP;
  IF jsonb_array_length(v_audits) > 0 THEN
    PERFORM "airlock_append_audits"(v_audits);
  END IF;
  RETURN v_lost;
END;
$$ LANGUAGE plpgsql VOLATILE;
