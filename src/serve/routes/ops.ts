import { Problem } from "../http.js";
import type { Handler } from "../routes.js";

// Stub: replaced by the operations routes work.
const notYet: Handler = () => {
  throw new Problem(501, "Not Implemented", "not built yet");
};
export const healthz = notYet;
export const readyz = notYet;
export const metrics = notYet;
