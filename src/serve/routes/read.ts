import { Problem } from "../http.js";
import type { Handler } from "../routes.js";

// Stub: replaced by the read routes work.
const notYet: Handler = () => {
  throw new Problem(501, "Not Implemented", "not built yet");
};
export const getEvent = notYet;
export const getDelivery = notYet;
export const listDeliveries = notYet;
export const retryDelivery = notYet;
