const hexPattern = /^(?:[0-9a-fA-F]{2})+$/;
// Standard and URL-safe alphabets, padding optional: providers and users write both.
const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Hex digits, whole bytes; undefined when the text is not hex. */
export function decodeHex(text: string): Buffer | undefined {
  return hexPattern.test(text) ? Buffer.from(text, "hex") : undefined;
}

/**
 * Base64 (either alphabet); undefined when the text is not base64. Node's decoder silently
 * skips bad characters, so the shape is checked first.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!base64Pattern.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, text.includes("-") || text.includes("_") ? "base64url" : "base64");
}
