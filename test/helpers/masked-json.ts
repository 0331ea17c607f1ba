/**
 * A JSON value printed by hookctl with what no two runs share masked: ids, times, durations, the
 * receivers' ports, generated secrets, and the header values that carry a time, an id or a
 * signature. What is left is what two backends (or two runs) must print alike.
 */
export function maskedJson(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => maskedJson(item, key));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if ("name" in value && "value" in value && entries.length === 2) {
      const { name, value: text } = value as { name: string; value: unknown };
      return /timestamp|signature|date|traceparent|delivery-id|keep-alive/i.test(name)
        ? { name, value: "<varies>" }
        : { name, value: maskedJson(text, name) };
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, maskedJson(v, k)]));
  }
  if (typeof value === "number" && /Ms$/.test(key)) return "<ms>";
  if (typeof value === "string") {
    return value
      .replace(/\b(dlv|evt|ep|alr)_[0-9A-HJKMNP-TV-Z]{26}/g, "$1_<id>")
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>")
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
      .replace(/whsec_(?!c2Vj|bmV4)[A-Za-z0-9+/=]+…?/g, "whsec_<generated>");
  }
  return value;
}
