-- CreateIndex
CREATE INDEX "ToolCall_stepId_position_idx" ON "ToolCall"("stepId", "position");


-- The engine writes a step in one round trip of several statements. This check is the
-- first of them: it proves the worker still holds the run's lease (and takes the run's
-- row lock for the rest of the transaction); a worker that lost it aborts everything.
CREATE FUNCTION "airlock_assert_lease"(p_run TEXT, p_worker TEXT, p_step_count INTEGER) RETURNS void AS $$
BEGIN
  UPDATE "Run" SET "stepCount" = coalesce(p_step_count, "stepCount"), "updatedAt" = now()
  WHERE id = p_run AND "leaseOwner" = p_worker AND status = 'RUNNING';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'airlock:lease-lost %', p_run USING ERRCODE = 'P0001';
  END IF;
END;
$$ LANGUAGE plpgsql;

-- Appends one event to the audit hash chain. The advisory lock serializes appenders, and
-- because each statement of a VOLATILE function takes a fresh snapshot, the read of the
-- chain's head after the lock sees every event committed before it. The hash is
-- SHA-256(previous hash || canonical event), with the canonical text built by the caller
-- exactly as verification rebuilds it.
CREATE FUNCTION "airlock_append_audit"(
  p_actor TEXT, p_action TEXT, p_target_type TEXT, p_target_id TEXT, p_data JSONB, p_created_at TIMESTAMP(3), p_canonical TEXT
) RETURNS TEXT AS $$
DECLARE
  previous TEXT;
  digest TEXT;
BEGIN
  PERFORM pg_advisory_xact_lock(7306110001);
  SELECT hash INTO previous FROM "AuditEvent" ORDER BY id DESC LIMIT 1;
  previous := coalesce(previous, repeat('0', 64));
  digest := encode(sha256(convert_to(previous || p_canonical, 'UTF8')), 'hex');
  INSERT INTO "AuditEvent" ("actorId", action, "targetType", "targetId", data, "prevHash", hash, "createdAt")
  VALUES (p_actor, p_action, p_target_type, p_target_id, p_data, previous, digest, p_created_at);
  RETURN digest;
END;
$$ LANGUAGE plpgsql VOLATILE;
