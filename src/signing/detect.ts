import type { HeaderMap } from "./headers.js";
import { schemes } from "./registry.js";
import type { SchemeName, UnverifiableCode } from "./types.js";

const order = Object.keys(schemes) as SchemeName[];
const signatureHeaders = order.map((name) => [name, schemes[name].signatureHeader.toLowerCase()] as const);
const markerHeaders = order.flatMap((name) =>
  (schemes[name].markers ?? []).map((header) => [name, header] as const),
);

/**
 * The schemes whose signature header is present, in scheme order; when there is none, the
 * schemes a marker points to (a GitHub request signed only with the retired SHA-1 header).
 */
export function detectIn(headers: HeaderMap): SchemeName[] {
  const found: SchemeName[] = [];
  for (const [name, header] of signatureHeaders) if (headers.has(header)) found.push(name);
  if (found.length > 0) return found;
  for (const [name, header] of markerHeaders)
    if (headers.has(header) && !found.includes(name)) found.push(name);
  return found;
}

/**
 * The one scheme `auto` should use, or why there is none. Svix sends its svix-* headers and the
 * equivalent webhook-* ones side by side; that pair is one message, checked as standard.
 */
export function pickScheme(
  headers: HeaderMap,
): { scheme: SchemeName } | { code: UnverifiableCode; reason: string } {
  const found = detectIn(headers);
  if (found.length === 1) return { scheme: found[0] as SchemeName };
  if (found.length === 2 && found.includes("standard") && found.includes("svix"))
    return { scheme: "standard" };
  if (found.length === 0) {
    const seen = headers.size === 0 ? "no headers" : headers.names().join(", ");
    const expected = order.map((name) => schemes[name].signatureHeader).join(", ");
    return {
      code: "no-signature",
      reason: `no signature header found (saw ${seen}; expected one of ${expected})`,
    };
  }
  const listed = found.map((name) => `${schemes[name].signatureHeader} (${name})`).join(", ");
  return {
    code: "ambiguous",
    reason: `several signature headers present: ${listed}; cannot tell which scheme to check`,
  };
}

/**
 * The scheme a bare signature value (`--signature`) most likely belongs to, from its shape:
 * `t=…,v1=…` stripe, `v0=` slack, `v1,`/`v1a,` standard (svix when svix-id is present),
 * `sha256=<hex>` github, bare hex hookctl, bare base64 shopify.
 */
export function guessSchemeFromSignature(value: string, headers: HeaderMap): SchemeName | undefined {
  const text = value.trim();
  if (/^t=\d+,/.test(text) || /,\s*t=\d+/.test(text)) return "stripe";
  if (text.startsWith("v0=")) return "slack";
  if (/^v1a?,/.test(text)) return headers.has("svix-id") && !headers.has("webhook-id") ? "svix" : "standard";
  if (/^sha256=[0-9a-f]+$/i.test(text)) return "github";
  if (/^[0-9a-f]{64}$/i.test(text)) return "hookctl";
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return "shopify";
  return undefined;
}
