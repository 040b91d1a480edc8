-- CreateTable
CREATE TABLE "GatewayTask" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "ttlMs" INTEGER NOT NULL,
    "pollIntervalMs" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "GatewayTask_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GatewayTask_userId_createdAt_id_idx" ON "GatewayTask"("userId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GatewayTask_expiresAt_idx" ON "GatewayTask"("expiresAt");

-- CreateIndex
CREATE INDEX "GatewayTask_runId_idx" ON "GatewayTask"("runId");

-- AddForeignKey
ALTER TABLE "GatewayTask" ADD CONSTRAINT "GatewayTask_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GatewayTask" ADD CONSTRAINT "GatewayTask_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

