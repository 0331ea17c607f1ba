import { openDb } from "../../src/store/open.js";
import { insertReceived, type ReceivedRecord } from "../../src/store/received.js";
import { tempDb } from "./tmp.js";

/** A request as `listen` captures it, unverified and answered 200, with the fields a test sets. */
export function capturedRequest(
  fields: Pick<ReceivedRecord, "id" | "headers" | "body"> & Partial<ReceivedRecord>,
): ReceivedRecord {
  return {
    receivedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    method: "POST",
    path: "/",
    deliveryId: null,
    eventType: null,
    verification: "unverified",
    verificationReason: null,
    scheme: null,
    duplicate: false,
    responseStatus: 200,
    injected: null,
    durationMs: 1,
    ...fields,
  };
}

/** A log in a temp directory holding `records`, as `listen` would have left it. */
export function logWith(...records: ReceivedRecord[]): string {
  const path = tempDb();
  const db = openDb(path);
  for (const record of records) insertReceived(db, record);
  db.close();
  return path;
}
