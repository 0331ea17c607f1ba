import { createRequire } from "node:module";
import type { Agent as UndiciAgent } from "undici";

const load = createRequire(import.meta.url);

/**
 * undici's Agent class without the rest of undici. The package entry also loads fetch,
 * WebSocket, EventSource, caches and mocks: about 130 ms on the 2-core box against 55 ms for the
 * dispatcher alone, and start-up is a large part of a `hookctl send`. The file is not undici's
 * public API, so if a release moves it the package entry is used instead (and the test that
 * pins the path fails, to say so).
 */
export function loadAgent(): typeof UndiciAgent {
  try {
    return load("undici/lib/dispatcher/agent.js") as typeof UndiciAgent;
  } catch {
    return (load("undici") as typeof import("undici")).Agent;
  }
}
