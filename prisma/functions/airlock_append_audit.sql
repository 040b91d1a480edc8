-- Appends one event to the audit hash chain (airlock_append_audits holds the chain's
-- rules); returns its hash. The single-event form the services' transactions call.
CREATE OR REPLACE FUNCTION "airlock_append_audit"(
  p_actor TEXT, p_action TEXT, p_target_type TEXT, p_target_id TEXT, p_data JSONB, p_created_at TIMESTAMP(3), p_canonical TEXT
) RETURNS TEXT AS $$
BEGIN
  RETURN "airlock_append_audits"(jsonb_build_array(jsonb_build_object(
    'actorId', p_actor, 'action', p_action, 'targetType', p_target_type, 'targetId', p_target_id, 'data', p_data,
    'createdAt', p_created_at, 'canonical', p_canonical
  )));
END;
$$ LANGUAGE plpgsql VOLATILE;
