import { UsageError } from "../errors.js";

/**
 * An absolute http(s) URL a delivery or forward can go to, normalised, or a UsageError naming
 * `what` (the flag or argument). WHATWG parsing is lenient where a typo should be caught:
 * `http:///path` would become host "path".
 */
export function parseHttpUrl(text: string, what = "the target"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${what} ${JSON.stringify(text)} is not a valid URL`,
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
    throw new UsageError(`${what} ${JSON.stringify(text)} has no host`, "write it as http://host:port/path");
  }
  return url.href;
}
