import type { NewDelivery } from "../store/deliveries.js";
import type { EndpointRow } from "../store/endpoints.js";
import { DamagedRowError } from "../store/stored-json.js";
import { parsePolicy, type RetryPolicy } from "./policy.js";

/** A delivery's per-attempt timeout when neither a flag nor its endpoint sets one. */
export const defaultTimeoutMs = 10_000;

/** The endpoint's retry policy: its own settings over the defaults (a damaged one throws). */
export function endpointPolicy(endpoint: EndpointRow): RetryPolicy {
  return parsePolicy(endpoint.policy, `endpoints ${endpoint.name} policy`);
}

/**
 * A new delivery to a named endpoint, set up as `send <endpoint>` sets it up without flags: its
 * URL, scheme, policy (merged with the defaults), timeout and TLS setting. Secrets stay null: an
 * endpoint's secrets are read at each attempt, so a rotation applies to work already queued.
 */
export function endpointDelivery(endpoint: EndpointRow, id: string): NewDelivery {
  return {
    id,
    endpointId: endpoint.id,
    url: endpoint.url,
    scheme: endpoint.scheme,
    extraHeaders: {},
    secrets: null,
    policy: policyText(endpoint),
    timeoutMs: endpoint.timeoutMs ?? defaultTimeoutMs,
    tls: endpoint.tls ?? null,
  };
}

/**
 * An endpoint whose stored policy is damaged still gets its delivery, with that text: the row is
 * then shown as damaged and shelved as a dead letter, never sent, instead of the whole event
 * being refused for one endpoint's fault.
 */
function policyText(endpoint: EndpointRow): string {
  try {
    return JSON.stringify(endpointPolicy(endpoint));
  } catch (error) {
    if (error instanceof DamagedRowError) return endpoint.policy ?? "";
    throw error;
  }
}
