import type * as z from "zod/mini";
import { alert } from "./schema/alert.js";
import { errorReport } from "./schema/common.js";
import { attempt, delivery, deliveryDetail, event, sendResult } from "./schema/delivery.js";
import {
  endpoint,
  endpointAdded,
  endpointDetail,
  endpointRemoved,
  endpointRotated,
} from "./schema/endpoint.js";
import { headersInput } from "./schema/headers.js";
import { logExportLine, logTransferResult } from "./schema/log-transfer.js";
import { pruneResult } from "./schema/prune.js";
import { listenRequest, receivedRequest, receivedRequestDetail } from "./schema/received.js";
import {
  relayChannel,
  relayChannelAdded,
  relayChannelRemoved,
  relayChannelRotated,
  relayedRequest,
  relayIngress,
} from "./schema/relay.js";
import { purgeResult, replayEvent, requeueResult, wouldPurge, wouldRequeue } from "./schema/replay.js";
import {
  ingestBatchRequest,
  ingestBatchResult,
  ingestRequest,
  ingestResult,
  problem,
} from "./schema/serve.js";
import { deliveryPage, eventDetail, serveHealth } from "./schema/serve-read.js";
import {
  backoffSchedule,
  demoSummary,
  fixture,
  generatedKeyPair,
  generatedSecret,
  signResult,
} from "./schema/tools.js";
import { verifyBatchLine, verifyBatchResult, verifyResult } from "./schema/verify.js";

export interface ContractEntry {
  name: string;
  schema: z.ZodMiniType;
  /** Which commands print it (output) or read it (input). */
  where: string;
  direction: "output" | "input";
}

/** Every JSON value hookctl prints or reads, by the name `hookctl schema <name>` takes. */
export const contract: readonly ContractEntry[] = [
  {
    name: "delivery",
    schema: delivery,
    direction: "output",
    where:
      "log, dlq list, serve POST /v1/deliveries/{id}/retry, and inside send, replay, show, delivery-page and event-detail",
  },
  {
    name: "delivery-detail",
    schema: deliveryDetail,
    direction: "output",
    where: "log show, dlq show, serve GET /v1/deliveries/{id}",
  },
  { name: "attempt", schema: attempt, direction: "output", where: "inside delivery-detail and replay-event" },
  { name: "event", schema: event, direction: "output", where: "inside delivery-detail and event-detail" },
  { name: "send-result", schema: sendResult, direction: "output", where: "send (one per line)" },
  {
    name: "replay-event",
    schema: replayEvent,
    direction: "output",
    where: "replay and serve (one per line; replay <ids> prints requeue-result lines first)",
  },
  {
    name: "would-requeue",
    schema: wouldRequeue,
    direction: "output",
    where: "replay --dry-run, dlq requeue --dry-run",
  },
  {
    name: "requeue-result",
    schema: requeueResult,
    direction: "output",
    where: "dlq requeue; replay <ids> prints these first, then its replay-event lines",
  },
  { name: "would-purge", schema: wouldPurge, direction: "output", where: "dlq purge --dry-run" },
  { name: "purge-result", schema: purgeResult, direction: "output", where: "dlq purge" },
  { name: "prune-result", schema: pruneResult, direction: "output", where: "log prune" },
  {
    name: "log-export-line",
    schema: logExportLine,
    direction: "output",
    where: "log export (one per line), read back by log import",
  },
  {
    name: "log-transfer-result",
    schema: logTransferResult,
    direction: "output",
    where: "log export --to --json, log import --json",
  },
  { name: "received-request", schema: receivedRequest, direction: "output", where: "log received" },
  {
    name: "received-request-detail",
    schema: receivedRequestDetail,
    direction: "output",
    where: "log received show",
  },
  { name: "listen-request", schema: listenRequest, direction: "output", where: "listen (one per line)" },
  { name: "endpoint", schema: endpoint, direction: "output", where: "endpoint list, endpoint set" },
  { name: "endpoint-detail", schema: endpointDetail, direction: "output", where: "endpoint show" },
  { name: "endpoint-added", schema: endpointAdded, direction: "output", where: "endpoint add" },
  { name: "endpoint-removed", schema: endpointRemoved, direction: "output", where: "endpoint rm" },
  { name: "endpoint-rotated", schema: endpointRotated, direction: "output", where: "endpoint rotate-secret" },
  { name: "verify-result", schema: verifyResult, direction: "output", where: "verify" },
  {
    name: "verify-batch-result",
    schema: verifyBatchResult,
    direction: "output",
    where: "verify --batch (one per line)",
  },
  { name: "sign-result", schema: signResult, direction: "output", where: "sign --format json" },
  { name: "generated-secret", schema: generatedSecret, direction: "output", where: "secret generate" },
  {
    name: "generated-key-pair",
    schema: generatedKeyPair,
    direction: "output",
    where: "secret generate --ed25519",
  },
  { name: "backoff-schedule", schema: backoffSchedule, direction: "output", where: "backoff" },
  { name: "fixture", schema: fixture, direction: "output", where: "send --list-fixtures (one per line)" },
  { name: "demo-summary", schema: demoSummary, direction: "output", where: "demo" },
  {
    name: "alert",
    schema: alert,
    direction: "output",
    where: "replay and serve: --on-dead (stdin, one line) and --alert-url (request body)",
  },
  {
    name: "ingest-result",
    schema: ingestResult,
    direction: "output",
    where: "serve: 202 to POST /v1/events",
  },
  {
    name: "ingest-batch-result",
    schema: ingestBatchResult,
    direction: "output",
    where: "serve: 202 to POST /v1/events:batch",
  },
  { name: "event-detail", schema: eventDetail, direction: "output", where: "serve: GET /v1/events/{id}" },
  { name: "delivery-page", schema: deliveryPage, direction: "output", where: "serve: GET /v1/deliveries" },
  { name: "serve-health", schema: serveHealth, direction: "output", where: "serve: GET /healthz, /readyz" },
  {
    name: "problem",
    schema: problem,
    direction: "output",
    where: "serve: every error answer (application/problem+json)",
  },
  {
    name: "relay-channel",
    schema: relayChannel,
    direction: "output",
    where: "relay channel list (one per line)",
  },
  { name: "relay-channel-added", schema: relayChannelAdded, direction: "output", where: "relay channel add" },
  {
    name: "relay-channel-removed",
    schema: relayChannelRemoved,
    direction: "output",
    where: "relay channel rm",
  },
  {
    name: "relay-channel-rotated",
    schema: relayChannelRotated,
    direction: "output",
    where: "relay channel rotate-token",
  },
  { name: "relay-ingress", schema: relayIngress, direction: "output", where: "relay (one per request)" },
  {
    name: "relayed-request",
    schema: relayedRequest,
    direction: "output",
    where: "relay's stream (GET /_relay/v1/channels/<name>/stream, event: request)",
  },
  { name: "error", schema: errorReport, direction: "output", where: "any command with --json, on stderr" },
  {
    name: "verify-batch-line",
    schema: verifyBatchLine,
    direction: "input",
    where: "verify --batch (one per line)",
  },
  { name: "ingest-request", schema: ingestRequest, direction: "input", where: "serve: POST /v1/events" },
  {
    name: "ingest-batch-request",
    schema: ingestBatchRequest,
    direction: "input",
    where: "serve: POST /v1/events:batch",
  },
  {
    name: "headers-input",
    schema: headersInput,
    direction: "input",
    where: "verify --headers-file, -H alternatives",
  },
];

export function contractEntry(name: string): ContractEntry | undefined {
  return contract.find((entry) => entry.name === name);
}
