import type { IngestResultJson } from "../../contract/schema/serve.js";
import { endpointDelivery } from "../../delivery/endpoint-delivery.js";
import { subscribes } from "../../delivery/subscriptions.js";
import { type GroupCommit, groupCommit } from "../../receiver/group-commit.js";
import type { EndpointRow } from "../../store/endpoints.js";
import type { Admission, IncomingEvent, PlannedEvent, RequestOutcome } from "../../store/outbox.js";
import { storeFault } from "../../store/write-errors.js";
import type { ServeApp } from "../app.js";
import { Problem } from "../http.js";

interface Pending {
  events: readonly IncomingEvent[];
  outcome?: RequestOutcome;
}

/** The idempotency keys one request is working under; released once it has its answer. */
export interface Holding {
  /** Hold one more key, or 409 (with Retry-After) when another request in this process holds it. */
  add(key: string): void;
  release(): void;
}

/**
 * The write side of `serve`: requests hold their idempotency keys while they are read and
 * committed (a twin arriving meanwhile is told to retry), and requests that arrive in the same
 * event-loop turn are committed in one transaction (one fsync for all). Every caller resolves
 * only after its own events are committed. On a PostgreSQL log a twin may be in another process:
 * the key's primary key decides there (see store/pg/outbox.ts), and the later one gets the first
 * answer or a 422, never a second event.
 */
export class Ingestor {
  private readonly held = new Set<string>();
  private readonly commits: GroupCommit<Pending>;

  constructor(private readonly app: ServeApp) {
    // A batch request may carry a thousand events: 64 requests keep one transaction short.
    this.commits = groupCommit((batch) => this.commit(batch), { maxBatch: 64 });
  }

  holding(): Holding {
    const mine = new Set<string>();
    return {
      add: (key) => {
        if (mine.has(key)) return;
        if (this.held.has(key)) {
          throw new Problem(
            409,
            "Conflict",
            `a request with idempotency key ${JSON.stringify(key)} is still being processed: retry once it is answered`,
            { "Retry-After": "1" },
          );
        }
        this.held.add(key);
        mine.add(key);
      },
      release: () => {
        for (const key of mine) this.held.delete(key);
        mine.clear();
      },
    };
  }

  /**
   * Commit a request's events (all or none), resolving with each one's admission. A key seen
   * before with other bytes refuses the request (422), naming the event by `where(index)`.
   */
  async admit(events: readonly IncomingEvent[], where: (index: number) => string): Promise<Admission[]> {
    const pending: Pending = { events };
    try {
      await this.commits.add(pending);
    } catch (error) {
      const fault = storeFault(error);
      if (fault) throw new Problem(503, "Service Unavailable", fault.message, { "Retry-After": "1" });
      throw error;
    }
    const outcome = pending.outcome as RequestOutcome;
    if ("conflict" in outcome) {
      const index = outcome.conflict;
      const key = events[index]?.idempotency?.key ?? "";
      throw new Problem(
        422,
        "Unprocessable Content",
        `${where(index)}: idempotency key ${JSON.stringify(key)} was first used with a different body: use a new key for a different event`,
      );
    }
    return outcome.admitted;
  }

  /** Resolves once every request handed over so far is committed (or failed). */
  drain(): Promise<void> {
    return this.commits.drain();
  }

  /** Forget one batch of expired keys; resolves with how many (a full batch: call again). */
  pruneKeys(limit = 500): Promise<number> {
    return this.app.outbox.pruneIdempotencyKeys(this.app.now() - this.app.idempotencyTtlMs, limit);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const { app } = this;
    const outcomes = await app.outbox.admitRequests(
      batch.map((pending) => pending.events),
      {
        keyCutoff: app.now() - this.app.idempotencyTtlMs,
        plan: (event, endpoints) => this.plan(event, endpoints),
      },
    );
    let due = 0;
    outcomes.forEach((outcome, i) => {
      (batch[i] as Pending).outcome = outcome;
      if ("conflict" in outcome) return;
      for (const admission of outcome.admitted) {
        if (admission.kind === "duplicate") app.stats.duplicateEvents++;
        else {
          app.stats.acceptedEvents++;
          due += admission.deliveries;
        }
      }
    });
    if (due > 0) app.wake();
  }

  /** One delivery per endpoint subscribed to the type; the answer a repeat of its key gets. */
  private plan(incoming: IncomingEvent, endpoints: readonly EndpointRow[]): PlannedEvent {
    const { app } = this;
    const targets = endpoints.filter((endpoint) => subscribes(endpoint.events, incoming.type));
    const deliveries = targets.map((endpoint) => endpointDelivery(endpoint, app.newId("dlv")));
    const event = {
      id: app.newId("evt"),
      type: incoming.type,
      body: incoming.body,
      contentType: incoming.contentType,
      createdAt: app.now(),
    };
    const answer: IngestResultJson = {
      id: event.id,
      type: event.type,
      idempotencyKey: incoming.idempotency?.key ?? null,
      duplicate: false,
      deliveries: deliveries.map((delivery, i) => ({
        id: delivery.id,
        endpoint: (targets[i] as EndpointRow).name,
      })),
    };
    return { event, deliveries, response: JSON.stringify(answer) };
  }
}

const ingestors = new WeakMap<ServeApp, Ingestor>();

/** The app's ingestor, made the first time it is asked for. */
export function ingestorFor(app: ServeApp): Ingestor {
  let ingestor = ingestors.get(app);
  if (!ingestor) {
    ingestor = new Ingestor(app);
    ingestors.set(app, ingestor);
  }
  return ingestor;
}

/** The answer as sent: the stored text, marked as a repeat when it is one. */
export function answerOf(admission: Admission): string {
  if (admission.kind === "created") return admission.response;
  return JSON.stringify({ ...(JSON.parse(admission.response) as IngestResultJson), duplicate: true });
}
