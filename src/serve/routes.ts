import type { ServeApp } from "./app.js";
import type { ServeRequest, ServeResponse } from "./http.js";
import { ingestBatch, ingestEvent } from "./routes/ingest.js";
import { healthz, metrics, readyz } from "./routes/ops.js";
import { getDelivery, getEvent, listDeliveries, retryDelivery } from "./routes/read.js";

export type Handler = (request: ServeRequest, app: ServeApp) => Promise<ServeResponse> | ServeResponse;

export interface Route {
  method: "GET" | "POST";
  /** Segments; `:name` captures one into `params`. */
  pattern: string;
  handler: Handler;
  /** Needs the bearer token (when serve has one); health checks do not. */
  auth: boolean;
}

/** Every route `serve` answers; anything else is 404 (or 405 for a known path). */
export const routes: readonly Route[] = [
  { method: "POST", pattern: "/v1/events", handler: ingestEvent, auth: true },
  { method: "POST", pattern: "/v1/events:batch", handler: ingestBatch, auth: true },
  { method: "GET", pattern: "/v1/events/:id", handler: getEvent, auth: true },
  { method: "GET", pattern: "/v1/deliveries", handler: listDeliveries, auth: true },
  { method: "GET", pattern: "/v1/deliveries/:id", handler: getDelivery, auth: true },
  { method: "POST", pattern: "/v1/deliveries/:id/retry", handler: retryDelivery, auth: true },
  { method: "GET", pattern: "/healthz", handler: healthz, auth: false },
  { method: "GET", pattern: "/readyz", handler: readyz, auth: false },
  { method: "GET", pattern: "/metrics", handler: metrics, auth: true },
];
