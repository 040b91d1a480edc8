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
-- writes nothing and gets NULL (airlock_write_run turns that into SQLSTATE ZA001,
-- LeaseLostError in server/db/errors.ts; airlock_write_runs reports it per write). It also
-- allocates the events' sequence numbers (one update of the Run row per write). Outcomes
-- apply only to the attempt the worker started.
--
-- The audits are NOT appended here: the caller (airlock_write_run, airlock_write_runs)
-- appends them last, after every row lock its transaction takes. The chain's lock is one
-- for the whole database and is held until commit; taken before a row lock, it made a
-- deadlock with any transaction that held that row and waited for the chain.
CREATE OR REPLACE FUNCTION "airlock_apply_run_write"(p JSONB) RETURNS INTEGER AS $$
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
    RETURN NULL;
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

  RETURN v_seq;
END;
$$ LANGUAGE plpgsql VOLATILE;
