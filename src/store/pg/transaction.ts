import type pg from "pg";

/** `work` inside BEGIN … COMMIT on one connection of the pool, rolled back if it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const value = await work(client);
    await client.query("COMMIT");
    return value;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** deadlock_detected, serialization_failure: the statement was rolled back whole. */
const retryable = new Set(["40P01", "40001"]);

/**
 * `statement` again when the server rolled it back to break a deadlock. Claims never wait (all
 * SKIP LOCKED), but freeing or renewing a slot waits for a claimer that locked it while
 * re-checking, and two such statements can, rarely, wait on each other. Each statement is atomic,
 * so running it again is safe.
 */
export async function retryDeadlock<T>(statement: () => Promise<T>, attempts = 3): Promise<T> {
  for (let left = attempts; ; left--) {
    try {
      return await statement();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (left <= 1 || typeof code !== "string" || !retryable.has(code)) throw error;
    }
  }
}
