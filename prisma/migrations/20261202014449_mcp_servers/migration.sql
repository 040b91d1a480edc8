-- CreateEnum
CREATE TYPE "McpTransport" AS ENUM ('STDIO', 'HTTP');

-- CreateEnum
CREATE TYPE "McpNewToolMode" AS ENUM ('NEEDS_APPROVAL', 'DISABLED');

-- CreateEnum
CREATE TYPE "McpConnectionState" AS ENUM ('CONNECTING', 'READY', 'FAILED', 'STOPPED');

-- CreateTable
CREATE TABLE "McpServer" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "transport" "McpTransport" NOT NULL,
    "command" TEXT,
    "args" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "cwd" TEXT,
    "url" TEXT,
    "env" JSONB NOT NULL DEFAULT '[]',
    "headers" JSONB NOT NULL DEFAULT '[]',
    "bearerCiphertext" BYTEA,
    "bearerIv" BYTEA,
    "bearerAuthTag" BYTEA,
    "bearerLast4" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "newToolMode" "McpNewToolMode" NOT NULL DEFAULT 'NEEDS_APPROVAL',
    "defaultRiskClass" "RiskClass",
    "callTimeoutMs" INTEGER NOT NULL DEFAULT 60000,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedBy" TEXT,

    CONSTRAINT "McpServer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "McpServerStatus" (
    "serverId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "state" "McpConnectionState" NOT NULL,
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMP(3),
    "toolCount" INTEGER NOT NULL DEFAULT 0,
    "lastListedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "McpServerStatus_pkey" PRIMARY KEY ("serverId","instanceId")
);

-- CreateTable
CREATE TABLE "McpTool" (
    "id" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "remoteName" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "inputSchema" JSONB NOT NULL,
    "outputSchema" JSONB,
    "annotations" JSONB,
    "definitionHash" TEXT NOT NULL,
    "confirmedHash" TEXT,
    "confirmedClass" "RiskClass",
    "confirmedBy" TEXT,
    "confirmedAt" TIMESTAMP(3),
    "changedAt" TIMESTAMP(3),
    "previousDefinition" JSONB,
    "removedAt" TIMESTAMP(3),
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "McpTool_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "McpServer_name_key" ON "McpServer"("name");

-- CreateIndex
CREATE UNIQUE INDEX "McpTool_name_key" ON "McpTool"("name");

-- CreateIndex
CREATE UNIQUE INDEX "McpTool_serverId_remoteName_key" ON "McpTool"("serverId", "remoteName");

-- AddForeignKey
ALTER TABLE "McpServerStatus" ADD CONSTRAINT "McpServerStatus_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "McpServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "McpTool" ADD CONSTRAINT "McpTool_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "McpServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

