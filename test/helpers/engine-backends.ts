import { onTestFinished } from "vitest";
import { getDelivery, listAttempts } from "../../src/store/deliveries.js";
import type { EndpointRow } from "../../src/store/endpoints.js";
import type { EngineStore } from "../../src/store/engine-port.js";
import { openDb } from "../../src/store/open.js";
import { PgEngineStore } from "../../src/store/pg/engine-store.js";
import { SqliteEngineStore } from "../../src/store/sqlite-engine.js";
import type { AttemptRow, DeliveryRow } from "../../src/store/types.js";
import { seedEndpoint } from "./endpoints.js";
import type { PostgresForFile } from "./pg.js";
import { pgAttempts, pgDelivery, seedPgDeliveries, seedPgEndpoint } from "./pg-log.js";
import { type SeedOptions, seedDeliveries } from "./scheduler-kit.js";
import { tempDb } from "./tmp.js";

/**
 * One fresh delivery log for an engine test, on either backend: stores over it (each as another
 * process would open it), and the few writes and reads the tests make beside the engine.
 */
export interface TestLog {
  /** A store of its own over the log (another connection, or another pool). */
  store(): Promise<EngineStore>;
  seed(options: SeedOptions): Promise<string[]>;
  seedEndpoint(
    endpoint: Pick<EndpointRow, "id" | "name" | "url" | "createdAt"> & Partial<EndpointRow>,
  ): Promise<void>;
  delivery(id: string): Promise<DeliveryRow | undefined>;
  attempts(id: string): Promise<AttemptRow[]>;
}

export interface LogBackend {
  name: string;
  /** A fresh log, closed after the test. */
  open(): Promise<TestLog>;
}

/** SQLite: a temp file; each store is a connection of its own. */
export function sqliteBackend(): LogBackend {
  return {
    name: "sqlite",
    open: async () => {
      const path = tempDb();
      const db = openDb(path);
      onTestFinished(() => {
        db.close();
      });
      return {
        store: async () => {
          const own = openDb(path);
          onTestFinished(() => {
            own.close();
          });
          return new SqliteEngineStore(own);
        },
        seed: async (options) => seedDeliveries(db, options),
        seedEndpoint: async (endpoint) => seedEndpoint(db, endpoint),
        delivery: async (id) => getDelivery(db, id),
        attempts: async (id) => listAttempts(db, id),
      };
    },
  };
}

/** PostgreSQL: a fresh database on the file's server; each store has a pool of its own. */
export function postgresBackend(pg: PostgresForFile): LogBackend {
  return {
    name: "postgres",
    open: async () => {
      const { url, pool } = await pg.pool();
      return {
        store: async () => {
          const own = await pg.pool(url);
          const store = new PgEngineStore(own.pool);
          pg.defer(() => store.close());
          return store;
        },
        seed: (options) => seedPgDeliveries(pool, options),
        seedEndpoint: (endpoint) => seedPgEndpoint(pool, endpoint),
        delivery: (id) => pgDelivery(pool, id),
        attempts: (id) => pgAttempts(pool, id),
      };
    },
  };
}
