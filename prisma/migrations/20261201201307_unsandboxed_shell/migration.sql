-- AlterTable
ALTER TABLE "PolicyState" ADD COLUMN     "unsandboxedShellConfirmed" BOOLEAN NOT NULL DEFAULT false;

