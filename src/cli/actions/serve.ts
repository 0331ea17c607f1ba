import { resolve } from "node:path";
import type { Command } from "commander";
import { alertLogOf } from "../../delivery/alerts/log.js";
import { type RunningAlerts, startAlerts } from "../../delivery/alerts/runner.js";
import type { SchedulerEvent } from "../../delivery/engine/events.js";
import { timerSleep } from "../../delivery/rate-limit.js";
import { startScheduler } from "../../delivery/scheduler.js";
import { proxySettings, Transport } from "../../delivery/transport.js";
import { pooledRandomBytes } from "../../receiver/random.js";
import { emptyStats, type ServeApp } from "../../serve/app.js";
import { ingestorFor } from "../../serve/ingest/ingestor.js";
import { startKeyPruner } from "../../serve/ingest/prune-keys.js";
import { startServeServer } from "../../serve/server.js";
import { type IdPrefix, idFactory } from "../../store/ids.js";
import { engineStoreOf, type LogHandle } from "../../store/log-handle.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { outboxStoreOf } from "../../store/ports/outbox.js";
import { alertFlagWords, alertSpecFromFlags } from "../alert-flags.js";
import { alertSinks } from "../alert-sinks.js";
import { isLoopbackHost } from "../bind.js";
import { type CliContext, stopCode } from "../context.js";
import { oneLine } from "../one-line.js";
import { createOutput, type Output } from "../output.js";
import { createAlertRenderer } from "../render/alerts.js";
import { createReplayRenderer } from "../render/replay-progress.js";
import { checkReadyFile, interrupted, writeReadyFile } from "../server-lifecycle.js";
import { openLogFor } from "../store.js";
import { cliSchedulerDeps, defaultAlertGraceMs, describer } from "./replay-run.js";
import { type ServeFlags, serveHost, serveTokens } from "./serve-options.js";

/**
 * `hookctl serve`: the HTTP API and the delivery engine on one log, until SIGINT/SIGTERM. Stops
 * in order: no new requests, requests in progress committed and answered, the engine finishes
 * or releases its attempts, the log closed. Exit 0 after SIGTERM, 130 after SIGINT. On a
 * PostgreSQL log several `serve` processes may run at once: each ingests and delivers, the
 * log's leases and idempotency keys keep them from doing anything twice, and NOTIFY wakes the
 * others' engines when one commits new work.
 */
export async function runServe(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ServeFlags>();
  const out = createOutput(ctx, flags);
  checkReadyFile(flags.readyFile, ctx.cwd);
  const tokens = await serveTokens(flags, ctx);
  const host = serveHost(flags, tokens);
  const alertSpec = await alertSpecFromFlags(flags, ctx);
  // PostgreSQL: connections for the engine's exchanges and renewals, its listener, ingest
  // groups in flight, reads and alerts.
  const log = await openLogFor(flags, ctx, { poolSize: 10 });
  let engineRunning = false;
  let wake = () => {};
  const ids = idFactory(ctx.now, pooledRandomBytes(ctx.randomBytes));
  const app: ServeApp = {
    log,
    outbox: outboxStoreOf(log),
    reads: deliveryReadsOf(log),
    now: ctx.now,
    newId: (prefix) => ids(prefix as IdPrefix),
    wake: () => wake(),
    engineRunning: () => engineRunning,
    maxBodyBytes: flags.maxBody,
    idempotencyTtlMs: flags.idempotencyTtl,
    stats: emptyStats(),
  };
  const store = await engineStoreOf(log).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  try {
    setDurability(log, flags, out, command.getOptionValueSource("durability") === "cli");
    const ingestor = ingestorFor(app);
    const server = await startServeServer(app, {
      host,
      port: flags.port,
      tokens,
      onError: (error) => out.note(`${out.style.fail("error:")} ${oneLine(String(error))} (answered 500)`),
    });
    const stopPruner = startKeyPruner(ingestor, {
      onError: (error) =>
        out.note(`${out.style.warn("warning:")} pruning idempotency keys: ${oneLine(String(error))}`),
    });
    const transport = new Transport({ proxy: proxySettings(ctx.env) });
    const described = describer(log, out.json);
    const renderer = createReplayRenderer(out, { now: ctx.now, live: false, describe: described.describe });
    const rendered = described.render(renderer.onEvent);
    // Registered before the engine starts: every death from now on is alerted.
    const alertRenderer = createAlertRenderer(out, { live: false });
    let alerts: RunningAlerts | undefined;
    if (alertSpec) {
      alerts = startAlerts({
        log: await alertLogOf(log),
        sinks: alertSinks(alertSpec, ctx, transport),
        now: ctx.now,
        sleep: timerSleep,
        onEvent: (event) => {
          app.stats.alerts[event.type === "alert-sent" ? "sent" : "failed"]++;
          alertRenderer.onEvent(event);
        },
        // A failing log write is reported and tried again at the next poll; serve goes on.
        onError: (error) =>
          out.note(`${out.style.warn("warning:")} dead-letter alerts: ${oneLine(String(error))}`),
      });
      await alerts.ready;
    }
    const engineStop = new AbortController();
    const scheduler = startScheduler(cliSchedulerDeps(store, ctx, transport), {
      watch: true,
      concurrency: flags.concurrency,
      leaseMarginMs: flags.leaseMargin,
      signal: engineStop.signal,
      onEvent: (event) => {
        onEngineEvent(event, app, out, rendered.onEvent);
        if (event.type === "delivery-dead") alerts?.wake();
      },
    });
    engineRunning = true;
    wake = scheduler.wake;
    let engineError: unknown;
    const engineDone = scheduler.done.then(
      () => {},
      (error: unknown) => {
        engineError = error;
        out.note(`${out.style.fail("error:")} the delivery engine stopped: ${oneLine(String(error))}`);
      },
    );
    void engineDone.finally(() => {
      engineRunning = false;
    });
    try {
      announce(out, server.url, log, tokens.length, flags);
      // Last: a script that sees the file finds everything started and announced.
      if (flags.readyFile) writeReadyFile(resolve(ctx.cwd, flags.readyFile), server.url);
      // A failed engine stops serve (exit 70) rather than leave a process that accepts events
      // and never delivers them: a service manager restarts it, and the log has everything.
      await Promise.race([interrupted(ctx.signal), engineDone]);
    } finally {
      await server.close();
      await ingestor.drain();
      await stopPruner();
      engineStop.abort();
      await engineDone;
      await rendered.flushed().catch((error: unknown) => {
        out.note(`${out.style.warn("warning:")} reading deliveries back: ${oneLine(String(error))}`);
      });
      // As the engine lets its attempts finish: alerts being sent are seen through (so one already
      // delivered is recorded, not sent again next time), for a few seconds at most; the rest stay
      // pending for the next run.
      if (alerts && alertSpec) {
        alertRenderer.summary(await alerts.finish(defaultAlertGraceMs), alertFlagWords(alertSpec));
      }
      renderer.close();
      await transport.close();
    }
    const { acceptedEvents, duplicateEvents, attempts } = app.stats;
    out.note(
      `stopped: ${acceptedEvents} ${acceptedEvents === 1 ? "event" : "events"} accepted (${duplicateEvents} repeated), ${attempts.succeeded} delivered, ${attempts.retry} to retry, ${attempts.dead} dead`,
    );
    if (engineError !== undefined) throw engineError;
    return stopCode(ctx.signal);
  } finally {
    await store.close?.();
    await log.close();
  }
}

/**
 * SQLite: FULL (default) makes a 202 survive a power loss, not only a crash of this process.
 * PostgreSQL: a commit is as durable as the server's synchronous_commit makes it, which is not
 * hookctl's to change; an explicit --durability is noted and ignored.
 */
function setDurability(log: LogHandle, flags: ServeFlags, out: Output, explicit: boolean): void {
  if (log.backend === "sqlite") {
    log.db.pragma(`synchronous = ${flags.durability === "normal" ? "NORMAL" : "FULL"}`);
    return;
  }
  if (explicit) {
    out.note(
      `${out.style.warn("note:")} --durability applies to SQLite logs; on PostgreSQL a commit is as durable as the server's synchronous_commit setting`,
    );
  }
}

/** Counted for /metrics, then rendered as replay renders them (idle notices left out: serve idles by design). */
function onEngineEvent(
  event: SchedulerEvent,
  app: ServeApp,
  out: Output,
  render: (event: SchedulerEvent) => void,
) {
  if (event.type === "attempt-finished") app.stats.attempts[event.result]++;
  if (event.type === "idle" || event.type === "counts") return;
  if (event.type === "stopped" && !out.json) return;
  render(event);
}

function announce(out: Output, url: string, log: LogHandle, tokens: number, flags: ServeFlags): void {
  out.note(`serving on ${url}  (log ${log.where}; Ctrl-C to stop)`);
  const auth =
    tokens === 0
      ? "no token: any local process may post events"
      : `bearer token required (${tokens} accepted)`;
  const durability =
    log.backend === "sqlite"
      ? `durability ${flags.durability}`
      : "durability: the server's synchronous_commit";
  out.note(`  ${auth}; ${durability}; POST ${url}/v1/events`);
  if (!isLoopbackHost(flags.host.trim())) {
    out.note(
      out.style.warn(
        `  bound to ${flags.host.trim()}: reachable from other machines, not only this one (--host 127.0.0.1 keeps it local)`,
      ),
    );
  }
}
