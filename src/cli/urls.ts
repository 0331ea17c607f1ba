import { maskUrl } from "../contract/mask.js";
import { UsageError } from "../errors.js";

/** `:3000/hooks`, `localhost:3000`, `10.0.0.5:8080/x`, `[::1]:3000`: a host (optional), a port, a path. */
const shorthand =
  /^(?<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])?:(?<port>\d{1,5})(?<rest>[/?#].*)?$/s;

/** Whether `text` is the `host:port[/path]` or `:port[/path]` shorthand (never an endpoint name: those have no `:`). */
export function isUrlShorthand(text: string): boolean {
  return shorthand.test(text.trim());
}

/**
 * The shorthand people type for a local app, as the URL it stands for: `:3000/hooks` is
 * `http://127.0.0.1:3000/hooks`, `localhost:3000` is `http://localhost:3000/`. Anything else is
 * returned as it is.
 */
export function expandShorthand(text: string): string {
  const match = shorthand.exec(text.trim());
  if (!match?.groups) return text;
  const { host, port, rest } = match.groups;
  return `http://${host ?? "127.0.0.1"}:${port}${rest ?? "/"}`;
}

/**
 * An absolute http(s) URL a delivery or forward can go to, normalised, or a UsageError naming
 * `what` (the flag or argument). WHATWG parsing is lenient where a typo should be caught:
 * `http:///path` would become host "path".
 */
export function parseHttpUrl(given: string, what = "the target"): string {
  const text = expandShorthand(given);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${what} ${JSON.stringify(maskUrl(text))} is not a valid URL`,
      "give an http(s) URL such as http://127.0.0.1:3000/hooks",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `${what} must be an http or https URL, not ${url.protocol}`,
      "use http:// or https://",
    );
  }
  if (!/^https?:\/\/[^/?#\\\s]/i.test(text.trim())) {
    throw new UsageError(
      `${what} ${JSON.stringify(maskUrl(text))} has no host`,
      "write it as http://host:port/path",
    );
  }
  return url.href;
}
