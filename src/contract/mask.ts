import type { HeaderList } from "./headers.js";

/**
 * The one masking rule, used by every output and screen: secrets, credential-bearing header
 * values (by name pattern), URL userinfo and sensitive query parameters. Masked values keep a
 * short prefix so two can be told apart, never enough to use one.
 */

/**
 * `whsec_Ab12…`: short secrets show at most a quarter of themselves (a 6-character secret
 * shows one).
 */
export function maskSecret(secret: string): string {
  const prefix = /^(whsec_|whsk_|whpk_)/.exec(secret)?.[1] ?? "";
  const rest = secret.slice(prefix.length);
  return `${prefix}${rest.slice(0, Math.min(4, Math.floor(rest.length / 4)))}…`;
}

/** Header names whose values are credentials. Signature headers are not: they prove, not grant. */
const sensitiveName =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|passw(or)?d|pwd|api[-_]?key|session|credential|private[-_]?key/i;

/** Whether a header's value is a credential because of its name alone. */
export function isSensitiveHeader(name: string): boolean {
  return sensitiveName.test(name.trim());
}

/** Secrets shorter than this are not searched for inside other text (see maskSecretsIn). */
export const minFindableSecret = 8;

/** Replace every occurrence of every secret in `text` with its mask (longest secrets first). */
export function maskSecretsIn(text: string, secrets: readonly string[]): string {
  let masked = text;
  // A short secret (`test`, `ok`) also occurs by chance in paths, event types and header values:
  // replacing it there would garble them and, worse, point at the secret. Only secrets long
  // enough not to occur by chance are searched for in free text.
  const findable = secrets.filter((secret) => secret.length >= minFindableSecret);
  for (const secret of findable.sort((a, b) => b.length - a.length)) {
    if (masked.includes(secret)) masked = masked.split(secret).join(maskSecret(secret));
  }
  return masked;
}

/** One header value as it may be shown. `Bearer abc…`: the auth scheme stays readable. */
export function maskHeaderValue(name: string, value: string, secrets: readonly string[]): string {
  if (isSensitiveHeader(name)) {
    const scheme = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value);
    return scheme ? `${scheme[1]} ${maskSecret(scheme[2] as string)}` : maskSecret(value);
  }
  return maskSecretsIn(value, secrets);
}

/** A copy of `headers` safe to print, order and repeats kept. */
export function maskHeaderList(headers: HeaderList, secrets: readonly string[]): HeaderList {
  return headers.map(({ name, value }) => ({ name, value: maskHeaderValue(name, value, secrets) }));
}

/** A copy of a header object safe to print. */
export function maskHeaders(
  headers: Record<string, string>,
  secrets: readonly string[],
): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) masked[name] = maskHeaderValue(name, value, secrets);
  return masked;
}

const sensitiveParam =
  /^(access[-_]?token|token|auth|key|api[-_]?key|apikey|secret|password|passwd|pwd|sig|signature|code|session|credentials?)$/i;

/**
 * A URL safe to print: the password in its userinfo and the values of query parameters that
 * carry credentials (`?token=`, `?api_key=`, `?sig=`…) masked; anything else as given.
 */
export function maskUrl(url: string, secrets: readonly string[] = []): string {
  // Parsing costs a few microseconds; most URLs have neither userinfo nor a query.
  if (!url.includes("@") && !url.includes("?")) return maskSecretsIn(url, secrets);
  // A request target (`/hook?token=…`, as a receiver sees it) has a query but no authority.
  const scheme = url.startsWith("/")
    ? ["", "", "", url]
    : // The scheme is optional: a shorthand (`user:pw@host:3000/x`) is masked the same way.
      /^([a-z][a-z0-9+.-]*:\/\/)?([^/?#]*)(.*)$/i.exec(url);
  if (!scheme) return maskSecretsIn(url, secrets);
  const [, protocol = "", authority = "", rest = ""] = scheme;
  const at = authority.lastIndexOf("@");
  let shownAuthority = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const password = colon >= 0 ? userinfo.slice(colon + 1) : "";
    // A user alone (`token@host`, as some services put a key there) is masked like a password.
    shownAuthority = `${password || colon >= 0 ? `${user}:${maskSecret(password)}` : maskSecret(user)}@${authority.slice(at + 1)}`;
  }
  const query = rest.indexOf("?");
  let shownRest = rest;
  if (query >= 0) {
    const hash = rest.indexOf("#", query);
    const end = hash >= 0 ? hash : rest.length;
    const params = rest
      .slice(query + 1, end)
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0) return pair;
        const name = decodeURIComponentSafe(pair.slice(0, eq));
        return sensitiveParam.test(name) ? `${pair.slice(0, eq)}=${maskSecret(pair.slice(eq + 1))}` : pair;
      });
    shownRest = `${rest.slice(0, query)}?${params.join("&")}${rest.slice(end)}`;
  }
  return maskSecretsIn(`${protocol}${shownAuthority}${shownRest}`, secrets);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
