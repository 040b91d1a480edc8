-- CreateEnum
CREATE TYPE "PasswordAttemptKind" AS ENUM ('SIGN_IN', 'PASSWORD_CHANGE');

-- DropIndex
DROP INDEX "SignInFailure_email_createdAt_idx";

-- AlterTable
ALTER TABLE "SignInFailure" ADD COLUMN     "kind" "PasswordAttemptKind" NOT NULL DEFAULT 'SIGN_IN';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "sessionVersion" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "SignInFailure_email_kind_createdAt_idx" ON "SignInFailure"("email", "kind", "createdAt");

