import type pg from "pg";

/** After a lost connection, listening is tried again this long after (a server restarting). */
const relistenMs = 1000;

/**
 * `LISTEN <channel>` on one connection of the pool, held for as long as anyone listens, and
 * every notification's payload passed to the listeners. A lost connection only means slower
 * wake-ups (engines and relay streams still poll) until listening again works, tried every second.
 */
export class NotificationListener {
  private readonly listeners = new Set<(payload: string) => void>();
  private client: Promise<pg.PoolClient | undefined> | undefined;
  /** The connection listening (or about to). */
  private current: pg.PoolClient | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
  ) {}

  subscribe(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    this.client ??= this.listen();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** Resolves once notifications are being received (true), or could not be (false). */
  async listening(): Promise<boolean> {
    return (await this.client) !== undefined;
  }

  async stop(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    const client = await pending;
    if (this.current === client) this.current = undefined;
    if (client) drop(client);
  }

  private async listen(): Promise<pg.PoolClient | undefined> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const held = client;
      held.on("notification", (message) => {
        if (message.channel !== this.channel) return;
        for (const listener of this.listeners) listener(message.payload ?? "");
      });
      held.on("error", () => {
        // Only the connection listening now: a late error from an earlier one changes nothing.
        if (this.current !== held) return drop(held);
        this.current = undefined;
        this.client = undefined;
        drop(held);
        this.relistenSoon();
      });
      this.current = held;
      await held.query(`LISTEN ${this.channel}`);
      return held;
    } catch {
      if (client) drop(client);
      if (this.current === client) this.current = undefined;
      this.client = undefined;
      this.relistenSoon();
      return undefined;
    }
  }

  private relistenSoon(): void {
    if (this.listeners.size === 0 || this.pool.ending) return;
    const timer = setTimeout(() => {
      if (this.listeners.size > 0 && !this.client && !this.pool.ending) this.client = this.listen();
    }, relistenMs);
    // Never what keeps a process alive: a command that is done exits.
    timer.unref();
  }
}

const dropped = new WeakSet<pg.PoolClient>();

/** Destroyed rather than returned, once: a pooled connection must not go on listening. */
function drop(client: pg.PoolClient): void {
  if (dropped.has(client)) return;
  dropped.add(client);
  client.release(true);
}
