import { maskUrl } from "../contract/mask.js";
import { UsageError } from "../errors.js";
import { ingressPrefix } from "./protocol.js";

/** A relay channel as `listen --from` names it. */
export interface RelaySource {
  /** The relay's base URL (origin plus any prefix a proxy adds), without a trailing slash. */
  base: string;
  channel: string;
  /** `<base>/c/<channel>`: no credentials, query or fragment; the cursor's key and what is shown. */
  url: string;
}

/**
 * `https://relay.example.com/c/laptop` into its parts. A token in the URL's userinfo or query is
 * refused: URLs end up in shell history, `ps` and logs, and the token has its own file and
 * variable.
 */
export function parseRelaySource(text: string): RelaySource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--from is not a URL: ${JSON.stringify(maskUrl(text))}`,
      "e.g. --from https://relay.example.com/c/my-laptop",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `--from must be an http or https URL (got ${url.protocol})`,
      "e.g. --from https://relay.example.com/c/my-laptop",
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      `--from must not carry credentials (${maskUrl(text)})`,
      "put the channel token in --relay-token-file or HOOKCTL_RELAY_TOKEN",
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `--from must not have a query or fragment (${maskUrl(text)})`,
      "give the channel URL the relay printed, e.g. https://relay.example.com/c/my-laptop",
    );
  }
  const match = /^(.*)\/c\/([^/]+)\/?$/.exec(url.pathname);
  if (!match) {
    throw new UsageError(
      `--from must end in ${ingressPrefix}<channel> (got ${maskUrl(text)})`,
      "e.g. --from https://relay.example.com/c/my-laptop",
    );
  }
  const prefix = match[1] as string;
  const encoded = match[2] as string;
  let channel: string;
  try {
    channel = decodeURIComponent(encoded);
  } catch {
    throw new UsageError(`--from has a garbled channel name (${encoded})`, "check the URL");
  }
  const base = `${url.origin}${prefix}`;
  return { base, channel, url: `${base}${ingressPrefix}${encoded}` };
}
