/**
 * The `demo` database sql_query works on by default: customers (a few of them test
 * accounts at @example.test), their orders over the last six months, invoices, and
 * payment methods (marked sensitive by default). Idempotent: the database and tables are
 * created when missing and filled only when empty, so a user's changes survive restarts.
 * The data is generated from a fixed seed, with dates relative to the day it is seeded.
 */
import pg from "pg";

const FIRST_NAMES = [
  "Amelia",
  "Noah",
  "Olivia",
  "Liam",
  "Sofia",
  "Mateo",
  "Hannah",
  "Lukas",
  "Chloe",
  "Yusuf",
  "Mia",
  "Arjun",
  "Emma",
  "Kenji",
  "Zoe",
  "Tomas",
  "Ingrid",
  "Rafael",
  "Leila",
  "Jonas",
];
const LAST_NAMES = [
  "Schmidt",
  "Garcia",
  "Okafor",
  "Nguyen",
  "Rossi",
  "Kowalski",
  "Silva",
  "Jensen",
  "Dubois",
  "Tanaka",
  "Haddad",
  "Murphy",
  "Novak",
  "Moreau",
  "Costa",
  "Lindqvist",
  "Patel",
  "Fischer",
  "Santos",
  "Kim",
];
const COMPANIES = [
  "northwind.example",
  "acme-logistics.example",
  "bluefin.example",
  "harbor-foods.example",
  "cedar-labs.example",
  "orbit-retail.example",
  "quill.example",
  "tundra-energy.example",
];
const COUNTRIES = ["DE", "FR", "NL", "ES", "IT", "PL", "SE", "IE", "PT", "AT"];
const PLANS = ["free", "starter", "business", "enterprise"];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  country char(2) NOT NULL,
  plan text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled', 'refunded')),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  currency char(3) NOT NULL DEFAULT 'EUR',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CREATE TABLE IF NOT EXISTS invoices (
  id serial PRIMARY KEY,
  order_id integer NOT NULL UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
  number text NOT NULL UNIQUE,
  amount_cents integer NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'paid', 'overdue', 'void')),
  issued_at timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  paid_at timestamptz
);
CREATE TABLE IF NOT EXISTS payment_methods (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  brand text NOT NULL,
  last4 char(4) NOT NULL,
  expires text NOT NULL
);`;

/** A small deterministic generator (mulberry32): the same sample data on every machine. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    integer: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The database named in `url`, created on its server when missing. */
async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (name === "") throw new Error("The demo database URL names no database.");
  const admin = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } catch (error) {
    // Two starters racing: the loser's CREATE finds the winner's database.
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await admin.end();
  }
}

export async function seedDemoDatabase(url: string, now = new Date()): Promise<{ created: boolean }> {
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(7306110002)");
    await client.query(SCHEMA);
    const { rows } = await client.query<{ any: boolean }>("SELECT EXISTS (SELECT 1 FROM customers) AS any");
    if (rows[0]?.any) {
      await client.query("COMMIT");
      return { created: false };
    }
    const random = randomSource(20261129);
    const customers: { name: string; email: string; country: string; plan: string; createdAt: Date }[] = [];
    const used = new Set<string>();
    while (customers.length < 36) {
      const first = random.pick(FIRST_NAMES);
      const last = random.pick(LAST_NAMES);
      const email = `${first}.${last}@${random.pick(COMPANIES)}`.toLowerCase();
      if (used.has(email)) continue;
      used.add(email);
      customers.push({
        name: `${first} ${last}`,
        email,
        country: random.pick(COUNTRIES),
        plan: random.pick(PLANS),
        createdAt: new Date(now.getTime() - random.integer(200, 540) * DAY_MS),
      });
    }
    for (let index = 1; index <= 4; index++) {
      customers.push({
        name: `Test Customer ${index}`,
        email: `qa+${index}@example.test`,
        country: "DE",
        plan: "free",
        createdAt: new Date(now.getTime() - random.integer(10, 90) * DAY_MS),
      });
    }
    const inserted = await client.query<{ id: number; email: string; created_at: Date }>(
      `INSERT INTO customers (name, email, country, plan, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
       RETURNING id, email, created_at`,
      [
        customers.map((customer) => customer.name),
        customers.map((customer) => customer.email),
        customers.map((customer) => customer.country),
        customers.map((customer) => customer.plan),
        customers.map((customer) => customer.createdAt),
      ],
    );

    const orders: { customerId: number; status: string; totalCents: number; createdAt: Date }[] = [];
    for (const customer of inserted.rows) {
      const isTest = customer.email.endsWith("@example.test");
      const count = isTest ? random.integer(1, 2) : random.integer(3, 12);
      for (let index = 0; index < count; index++) {
        const daysAgo = isTest ? random.integer(1, 9) : random.integer(0, 180);
        const createdAt = new Date(now.getTime() - daysAgo * DAY_MS - random.integer(0, DAY_MS - 1));
        const roll = random.next();
        const status =
          roll < 0.06
            ? "cancelled"
            : roll < 0.1
              ? "refunded"
              : daysAgo < 3
                ? "pending"
                : roll < 0.55
                  ? "shipped"
                  : "paid";
        orders.push({ customerId: customer.id, status, totalCents: random.integer(900, 250_000), createdAt });
      }
    }
    orders.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const insertedOrders = await client.query<{ id: number; status: string; total_cents: number; created_at: Date }>(
      `INSERT INTO orders (customer_id, status, total_cents, created_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::timestamptz[])
       RETURNING id, status, total_cents, created_at`,
      [
        orders.map((order) => order.customerId),
        orders.map((order) => order.status),
        orders.map((order) => order.totalCents),
        orders.map((order) => order.createdAt),
      ],
    );

    const invoices = insertedOrders.rows
      .filter((order) => order.status !== "pending")
      .map((order, index) => {
        const issuedAt = order.created_at;
        const dueAt = new Date(issuedAt.getTime() + 30 * DAY_MS);
        const settled = order.status === "paid" || order.status === "shipped";
        const status =
          order.status === "cancelled" || order.status === "refunded"
            ? "void"
            : settled && random.next() < 0.85
              ? "paid"
              : dueAt < now
                ? "overdue"
                : "open";
        return {
          orderId: order.id,
          number: `INV-${issuedAt.getUTCFullYear()}-${String(index + 1).padStart(5, "0")}`,
          amountCents: order.total_cents,
          status,
          issuedAt,
          dueAt,
          paidAt: status === "paid" ? new Date(issuedAt.getTime() + random.integer(1, 25) * DAY_MS) : null,
        };
      });
    await client.query(
      `INSERT INTO invoices (order_id, number, amount_cents, status, issued_at, due_at, paid_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])`,
      [
        invoices.map((invoice) => invoice.orderId),
        invoices.map((invoice) => invoice.number),
        invoices.map((invoice) => invoice.amountCents),
        invoices.map((invoice) => invoice.status),
        invoices.map((invoice) => invoice.issuedAt),
        invoices.map((invoice) => invoice.dueAt),
        invoices.map((invoice) => invoice.paidAt),
      ],
    );

    const methods = inserted.rows.map((customer) => ({
      customerId: customer.id,
      brand: random.pick(["visa", "mastercard", "amex", "sepa"]),
      last4: String(random.integer(0, 9999)).padStart(4, "0"),
      expires: `${String(random.integer(1, 12)).padStart(2, "0")}/${random.integer(27, 31)}`,
    }));
    await client.query(
      `INSERT INTO payment_methods (customer_id, brand, last4, expires)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])`,
      [
        methods.map((method) => method.customerId),
        methods.map((method) => method.brand),
        methods.map((method) => method.last4),
        methods.map((method) => method.expires),
      ],
    );
    await client.query("COMMIT");
    return { created: true };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/** The default target: the `demo` database on the server of DATABASE_URL. */
export function demoDatabaseUrl(databaseUrl: string): string {
  return withDatabase(databaseUrl, "demo");
}
