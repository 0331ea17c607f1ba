import type { EndpointRow } from "../store/endpoints.js";
import { policyJson, tlsJson } from "./delivery.js";
import { maskSecret, maskUrl } from "./mask.js";
import type { EndpointDetailJson, EndpointJson } from "./schema/endpoint.js";
import { iso, isoOrNull } from "./time.js";

interface SecretInfo {
  secret: string;
  createdAt: number;
  expiresAt: number | null;
}

/** An endpoint as the contract shows it: secrets masked, the policy its deliveries get. */
export function endpointJson(endpoint: EndpointRow, secrets: readonly SecretInfo[]): EndpointJson {
  return {
    id: endpoint.id,
    name: endpoint.name,
    url: maskUrl(endpoint.url),
    scheme: endpoint.scheme,
    ratePerSecond: endpoint.ratePerSecond,
    concurrency: endpoint.concurrency,
    timeoutMs: endpoint.timeoutMs,
    policy: policyJson(endpoint.policy, `endpoints ${endpoint.name} policy`),
    tls: tlsJson(endpoint.tls),
    events: endpoint.events ? [...endpoint.events] : null,
    secrets: secrets.map((s) => ({
      secret: maskSecret(s.secret),
      createdAt: iso(s.createdAt),
      expiresAt: isoOrNull(s.expiresAt),
    })),
    createdAt: iso(endpoint.createdAt),
  };
}

/** `endpoint show`: with its deliveries counted by state (status words in camelCase). */
export function endpointDetailJson(
  endpoint: EndpointRow,
  secrets: readonly SecretInfo[],
  counts: Readonly<Record<string, number>>,
): EndpointDetailJson {
  return {
    ...endpointJson(endpoint, secrets),
    deliveries: {
      pending: counts.pending ?? 0,
      inFlight: counts.in_flight ?? 0,
      succeeded: counts.succeeded ?? 0,
      dead: counts.dead ?? 0,
    },
  };
}
