-- CreateIndex
CREATE INDEX "ApprovalRequest_conversationId_bindingHash_idx" ON "ApprovalRequest"("conversationId", "bindingHash");

