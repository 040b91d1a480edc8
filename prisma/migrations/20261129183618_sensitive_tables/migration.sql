-- AlterTable
ALTER TABLE "PolicyState" ADD COLUMN     "sensitiveTables" TEXT[] DEFAULT ARRAY[]::TEXT[];

