/** The demo sign-ins seeded on start (SEED_DEMO_USERS, on by default): one per role. */
import type { Role } from "../shared/risk";

export interface DemoUser {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export const DEMO_USERS: DemoUser[] = [
  { email: "user@airlock.local", name: "Uma User", role: "USER", password: "airlock-user" },
  { email: "reviewer@airlock.local", name: "Rita Reviewer", role: "REVIEWER", password: "airlock-reviewer" },
  { email: "admin@airlock.local", name: "Adam Admin", role: "ADMIN", password: "airlock-admin" },
];
