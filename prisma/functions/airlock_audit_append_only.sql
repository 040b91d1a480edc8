-- The audit log is append-only: the database itself refuses to change or remove events
-- (the AuditEvent_append_only and AuditEvent_no_truncate triggers of the init migration).
CREATE OR REPLACE FUNCTION "airlock_audit_append_only"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'AuditEvent is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
