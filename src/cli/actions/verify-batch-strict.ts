import { headerListOf, headerRecord } from "../../contract/headers.js";
import { describeIssue } from "../../contract/parse.js";
import { verifyBatchLine } from "../../contract/schema/verify.js";
import type { LineInput } from "./verify-batch-line.js";

/**
 * A `verify --batch` line that is not the usual shape, checked by the contract's schema: its
 * input (repeated headers joined with ", " under lower-cased names, as the core looks them up),
 * or the first fault as one line naming the field. Loaded with import() on the first such line.
 */
export function strictLine(value: unknown): LineInput | string {
  const parsed = verifyBatchLine.safeParse(value);
  if (!parsed.success) return describeIssue(parsed.error, value);
  const { id, headers, body, bodyBase64 } = parsed.data;
  const list = headerListOf(headers).map(({ name, value }) => ({ name: name.toLowerCase(), value }));
  return {
    id: id ?? undefined,
    headers: headerRecord(list),
    body: typeof body === "string" ? body : Buffer.from(bodyBase64 as string, "base64"),
  };
}
