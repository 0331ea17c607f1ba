import { Problem } from "../http.js";
import type { Handler } from "../routes.js";

// Stub: replaced by the ingest work (POST /v1/events).
export const ingestEvent: Handler = () => {
  throw new Problem(501, "Not Implemented", "ingest is not built yet");
};
export const ingestBatch: Handler = ingestEvent;
