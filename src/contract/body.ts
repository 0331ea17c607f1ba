import { utf8Text } from "../format/utf8.js";

/** Bytes as JSON carries them: UTF-8 text in `body` when they are that, else base64. */
export function bodyFieldsOf(bytes: Uint8Array | null): { body: string | null; bodyBase64: string | null } {
  if (bytes === null || bytes.length === 0) return { body: bytes === null ? null : "", bodyBase64: null };
  const text = utf8Text(bytes);
  if (text !== undefined) return { body: text, bodyBase64: null };
  return {
    body: null,
    bodyBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
  };
}

/** The bytes back from `bodyFieldsOf`'s fields. */
export function bodyBytesOf(fields: { body: string | null; bodyBase64: string | null }): Buffer | null {
  if (fields.bodyBase64 !== null) return Buffer.from(fields.bodyBase64, "base64");
  return fields.body === null ? null : Buffer.from(fields.body, "utf8");
}
