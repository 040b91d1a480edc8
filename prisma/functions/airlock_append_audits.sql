-- Appends events to the audit hash chain, in array order; returns the last event's hash.
-- Each event is an AuditRecord (server/db/audit-events.ts): {actorId, action, targetType,
-- targetId, data, createdAt, canonical}, with the canonical text built by the caller
-- exactly as verification rebuilds it. The hash is SHA-256(previous hash || canonical).
--
-- The advisory lock serializes appenders (its key is AUDIT_CHAIN_LOCK_KEY in
-- server/db/audit-events.ts; the sql-constants test checks), and because each statement
-- of a VOLATILE function takes a fresh snapshot, the read of the chain's head after the
-- lock sees every event committed before it. The lock and that read happen once for all
-- the events; each then hashes over the one before it. The chain starts at 64 zeros
-- (GENESIS_HASH).
CREATE OR REPLACE FUNCTION "airlock_append_audits"(p_audits JSONB) RETURNS TEXT AS $$
DECLARE
  v_hash TEXT;
  item JSONB;
BEGIN
  PERFORM pg_advisory_xact_lock(7306110001);
  SELECT hash INTO v_hash FROM "AuditEvent" ORDER BY id DESC LIMIT 1;
  v_hash := coalesce(v_hash, repeat('0', 64));
  FOR item IN SELECT value FROM jsonb_array_elements(p_audits) LOOP
    INSERT INTO "AuditEvent" ("actorId", action, "targetType", "targetId", data, "prevHash", hash, "createdAt")
    VALUES (
      item->>'actorId', item->>'action', item->>'targetType', item->>'targetId', item->'data', v_hash,
      encode(sha256(convert_to(v_hash || (item->>'canonical'), 'UTF8')), 'hex'), (item->>'createdAt')::timestamp(3)
    )
    RETURNING hash INTO v_hash;
  END LOOP;
  RETURN v_hash;
END;
$$ LANGUAGE plpgsql VOLATILE;
