-- From prisma/functions/airlock_append_audit.sql (edit that file, not this migration).
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

-- From prisma/functions/airlock_append_audits.sql (edit that file, not this migration).
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

-- From prisma/functions/airlock_append_run_events.sql (edit that file, not this migration).
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

-- From prisma/functions/airlock_insert_run_events.sql (edit that file, not this migration).
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

-- From prisma/functions/airlock_queue_run.sql (edit that file, not this migration).
-- Queues a run for a user's message in one statement, so sending a message costs one
-- round trip: it locks the conversation (owned by the caller), refuses when a run is
-- still active, and stores the run, the user's message and the conversation's new title.
-- Refusals are SQLSTATEs (server/db/errors.ts): ZA003 no such conversation for this
-- owner, ZA002 a run is still active.
CREATE OR REPLACE FUNCTION "airlock_queue_run"(
  p_run TEXT, p_conversation TEXT, p_owner TEXT, p_model TEXT, p_text TEXT, p_title TEXT
) RETURNS void AS $$
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id = p_conversation AND "ownerId" = p_owner FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation % does not exist or has another owner', p_conversation
      USING ERRCODE = 'ZA003', DETAIL = p_conversation;
  END IF;
  IF EXISTS (
    SELECT 1 FROM "Run" WHERE "conversationId" = p_conversation AND status IN ('QUEUED', 'RUNNING', 'AWAITING_APPROVAL')
  ) THEN
    RAISE EXCEPTION 'conversation % still has an active run', p_conversation
      USING ERRCODE = 'ZA002', DETAIL = p_conversation;
  END IF;
  INSERT INTO "Run" (id, "conversationId", "userId", "modelId", "updatedAt")
  VALUES (p_run, p_conversation, p_owner, p_model, now());
  INSERT INTO "Message" ("conversationId", "runId", role, parts)
  VALUES (p_conversation, p_run, 'USER', jsonb_build_array(jsonb_build_object('type', 'text', 'text', p_text)));
  UPDATE "Conversation"
  SET "updatedAt" = now(), title = CASE WHEN title = 'New conversation' THEN p_title ELSE title END
  WHERE id = p_conversation;
END;
$$ LANGUAGE plpgsql;

-- From prisma/functions/airlock_write_run.sql (edit that file, not this migration).
-- Applies one write of the engine — whatever a step, its tool outcomes and its events
-- need — as a single call: one round trip, one short statement to parse, and plans
-- cached by PL/pgSQL for the session (a batch of plain SQL statements was parsed and
-- planned again on every step, which cost about as much as the writes themselves).
--
-- p is a RunWrite (server/db/run-write.ts) plus the run's identity:
--   runId, workerId, conversationId, stepCount (int or null),
--   finished: [{id, status, result, error, attempts}]   outcomes of started calls
--   step:     {id, index, modelId, finishReason, inputTokens, outputTokens, latencyMs, ttftMs} or null
--   messages: [{stepIndex, role, parts}]                 stored in this order
--   calls:    [{id, stepId, modelCallId, position, toolName, args, argsHash, riskClass, status, error, idempotencyKey}]
--   events:   [RunEventData]                             appended in this order, then NOTIFY
--   audits:   [{actorId, action, targetType, targetId, data, createdAt, canonical}]
-- The keys are the columns' names; server/db/run-write.test.ts writes every one of them
-- through this function and reads each back from its column.
--
-- The lease check comes first and takes the run's row lock: a worker that lost the run
-- writes nothing (SQLSTATE ZA001, LeaseLostError in server/db/errors.ts). It also
-- allocates the events' sequence numbers (one update of the Run row per write). Outcomes
-- apply only to the attempt the worker started.
CREATE OR REPLACE FUNCTION "airlock_write_run"(p JSONB) RETURNS INTEGER AS $$
DECLARE
  v_run TEXT := p->>'runId';
  v_events INTEGER := coalesce(jsonb_array_length(p->'events'), 0);
  v_seq INTEGER;
  item JSONB;
BEGIN
  UPDATE "Run"
  SET "stepCount" = coalesce((p->>'stepCount')::int, "stepCount"),
      "lastEventSeq" = "lastEventSeq" + v_events,
      "updatedAt" = now()
  WHERE id = v_run AND "leaseOwner" = p->>'workerId' AND status = 'RUNNING'
  RETURNING "lastEventSeq" INTO v_seq;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'worker % does not hold the lease on run %', p->>'workerId', v_run
      USING ERRCODE = 'ZA001', DETAIL = v_run;
  END IF;

  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'finished', '[]')) LOOP
    UPDATE "ToolCall"
    SET status = (item->>'status')::"ToolCallStatus", result = item->'result', error = item->>'error', "finishedAt" = now()
    WHERE id = item->>'id' AND status = 'RUNNING' AND attempts = (item->>'attempts')::int;
  END LOOP;

  IF jsonb_typeof(p->'step') = 'object' THEN
    INSERT INTO "Step" (id, "runId", index, "modelId", "finishReason", "inputTokens", "outputTokens", "latencyMs", "ttftMs")
    SELECT s.id, v_run, s.index, s."modelId", s."finishReason", s."inputTokens", s."outputTokens", s."latencyMs", s."ttftMs"
    FROM jsonb_to_record(p->'step') AS s(
      id TEXT, index INTEGER, "modelId" TEXT, "finishReason" TEXT, "inputTokens" INTEGER, "outputTokens" INTEGER,
      "latencyMs" INTEGER, "ttftMs" INTEGER
    );
  END IF;

  IF jsonb_array_length(coalesce(p->'messages', '[]')) > 0 THEN
    INSERT INTO "Message" ("conversationId", "runId", "stepIndex", role, parts)
    SELECT p->>'conversationId', v_run, (m.value->>'stepIndex')::int, (m.value->>'role')::"MessageRole", m.value->'parts'
    FROM jsonb_array_elements(p->'messages') WITH ORDINALITY AS m(value, ordinality)
    ORDER BY m.ordinality;
  END IF;

  IF jsonb_array_length(coalesce(p->'calls', '[]')) > 0 THEN
    INSERT INTO "ToolCall" (
      id, "runId", "stepId", "modelCallId", position, "toolName", args, "argsHash", "riskClass", status, error,
      "idempotencyKey", attempts, "startedAt", "finishedAt"
    )
    SELECT c.id, v_run, c."stepId", c."modelCallId", c.position, c."toolName", c.args, c."argsHash",
      c."riskClass"::"RiskClass", c.status::"ToolCallStatus", c.error, c."idempotencyKey",
      -- A call committed as RUNNING has started: it counts as its first attempt.
      CASE WHEN c.status = 'RUNNING' THEN 1 ELSE 0 END,
      CASE WHEN c.status = 'RUNNING' THEN now() END,
      CASE WHEN c.status = 'REFUSED' THEN now() END
    FROM jsonb_to_recordset(p->'calls') AS c(
      id TEXT, "stepId" TEXT, "modelCallId" TEXT, position INTEGER, "toolName" TEXT, args JSONB, "argsHash" TEXT,
      "riskClass" TEXT, status TEXT, error TEXT, "idempotencyKey" TEXT
    );
  END IF;

  IF v_events > 0 THEN
    PERFORM "airlock_insert_run_events"(v_run, v_seq, p->'events');
  END IF;

  IF jsonb_array_length(coalesce(p->'audits', '[]')) > 0 THEN
    PERFORM "airlock_append_audits"(p->'audits');
  END IF;

  RETURN v_seq;
END;
$$ LANGUAGE plpgsql VOLATILE;
