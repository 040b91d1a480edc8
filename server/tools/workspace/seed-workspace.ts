/**
 * The sample project a fresh workspace starts with, so the demo's plain requests ("show
 * me README.md", "delete old-notes.md", "run ls -la") have something real to act on.
 * Idempotent: it writes only into a missing or empty root, so a user's changes (and a file
 * deleted on purpose) survive every restart. All credentials here are fake.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

const SAMPLE_FILES: Record<string, string> = {
  "README.md": `# Invoice Reminder Service

A small service that emails customers about overdue invoices.

## Layout

- \`src/index.ts\` starts the scheduler
- \`src/reminders.ts\` decides who gets a reminder
- \`src/format.ts\` renders amounts and dates
- \`config.json\` holds the schedule and thresholds

## Running

\`\`\`sh
npm install
npm start
\`\`\`

Secrets live in \`.env\` (never commit it) and \`secrets/\`.
`,
  "src/index.ts": `import config from "../config.json";
import { dueReminders } from "./reminders";

// TODO: read the schedule from config instead of a fixed interval
setInterval(async () => {
  const reminders = await dueReminders(new Date(), config.overdueAfterDays);
  for (const reminder of reminders) {
    console.log(\`reminding \${reminder.email} about \${reminder.invoiceNumber}\`);
  }
}, 60 * 60 * 1000);
`,
  "src/reminders.ts": `export interface Reminder {
  email: string;
  invoiceNumber: string;
  amountCents: number;
}

export async function dueReminders(now: Date, overdueAfterDays: number): Promise<Reminder[]> {
  const cutoff = new Date(now.getTime() - overdueAfterDays * 24 * 60 * 60 * 1000);
  // TODO: query the invoices table; this stub keeps the scheduler runnable
  void cutoff;
  return [];
}
`,
  "src/format.ts": `export function formatAmount(cents: number, currency = "EUR"): string {
  return new Intl.NumberFormat("en-IE", { style: "currency", currency }).format(cents / 100);
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
`,
  "config.json": `${JSON.stringify(
    { schedule: "0 9 * * 1-5", overdueAfterDays: 14, maxRemindersPerInvoice: 3, sender: "billing@acme.example" },
    null,
    2,
  )}\n`,
  "old-notes.md": `# Notes from the 2024 migration (obsolete)

- moved reminders from cron to the scheduler
- the old Perl script is gone
- nothing here is current; safe to delete
`,
  ".env": `# Fake values for the demo workspace
DATABASE_URL=postgresql://reminders:not-a-real-password@db.internal:5432/reminders
SMTP_PASSWORD=fake-smtp-password-1234
PAYMENTS_API_KEY=sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc
`,
  "secrets/api.pem": `-----BEGIN PRIVATE KEY-----
RkFLRSBLRVkgRk9SIFRIRSBBSVJMT0NLIERFTU8gV09SS1NQQUNFIC0gTk9UIEEgUkVBTCBLRVk=
-----END PRIVATE KEY-----
`,
};

/** Writes the sample project into `root` when the root is missing or empty. Returns the files written. */
export async function seedWorkspace(root: string): Promise<string[]> {
  const absolute = path.resolve(root);
  if (existsSync(absolute) && (await readdir(absolute)).length > 0) return [];
  const written: string[] = [];
  for (const [relative, content] of Object.entries(SAMPLE_FILES)) {
    const target = path.join(absolute, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content, {
      flag: "wx",
      mode: relative === ".env" || relative.startsWith("secrets/") ? 0o600 : 0o644,
    });
    written.push(relative);
  }
  return written;
}
