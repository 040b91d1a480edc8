/** Seeds the demo users into DATABASE_URL (run by `npm start`). */

import { seedDemoUsers } from "../server/auth/seed-demo-users";
import { db } from "../server/db/client";

const created = await seedDemoUsers();
if (created > 0) process.stdout.write(`[airlock] Seeded ${created} demo user(s)\n`);
await db().$disconnect();
