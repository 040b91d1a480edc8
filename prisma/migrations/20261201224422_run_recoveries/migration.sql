-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "recoveries" INTEGER NOT NULL DEFAULT 0;

