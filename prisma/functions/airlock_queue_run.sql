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
