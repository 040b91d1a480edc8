/**
 * The pg pool under Prisma. Prisma's transaction manager (6.19, driver adapters) ends a
 * transaction by sending COMMIT or ROLLBACK and only then giving the connection back to
 * the pool; when the server has ended that connection (a restart, a terminated backend,
 * a network cut), the statement fails and the connection is never given back. Each such
 * loss took one pool slot for good: a restart under 20 open transactions left the
 * process unable to run any query, and `$disconnect()` waited forever (the chaos test's
 * teardown hung on it). Here a connection that ends while checked out goes back to the
 * pool at once, which discards it; a later release by its holder is then a no-op.
 */
import pg from "pg";

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void;

export class ReleasingPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    // The callback form is pool.query's own, which gives every connection back itself.
    if (!callback) return super.connect().then(releasedWhenLost);
    super.connect(callback as Parameters<pg.Pool["connect"]>[0]);
    return undefined;
  }
}

function releasedWhenLost(client: pg.PoolClient): pg.PoolClient {
  const release = client.release;
  let released = false;
  const onEnd = () => giveBack(new Error("The database connection ended while it was checked out"));
  const giveBack = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener("end", onEnd);
    release(error);
  };
  client.once("end", onEnd);
  client.release = giveBack;
  return client;
}
