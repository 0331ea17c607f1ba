import { type EndpointRow, insertEndpoint } from "../../src/store/endpoints.js";
import type { Db } from "../../src/store/open.js";

/** An endpoint row for a test: hookctl scheme, no limits, default policy, unless given. */
export function seedEndpoint(
  db: Db,
  endpoint: Pick<EndpointRow, "id" | "name" | "url" | "createdAt"> & Partial<EndpointRow>,
  secrets: readonly string[] = [],
): void {
  insertEndpoint(
    db,
    { scheme: "hookctl", ratePerSecond: null, concurrency: null, timeoutMs: null, policy: null, ...endpoint },
    secrets,
  );
}
