import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { resolveDbPath } from "../../config/paths.js";
import { createAttempt } from "../../delivery/attempt.js";
import { loadFixture } from "../../delivery/fixtures.js";
import { timerSleep } from "../../delivery/rate-limit.js";
import { runScheduler } from "../../delivery/scheduler.js";
import { type DeliveryOutcome, sendEvents } from "../../delivery/send.js";
import { loadAgent } from "../../delivery/undici-agent.js";
import { ExitCode, UsageError } from "../../errors.js";
import { createStoreCapture } from "../../receiver/capture.js";
import { mulberry32, type Receiver, startReceiver } from "../../receiver/index.js";
import { generateSecret } from "../../signing/index.js";
import { idFactory } from "../../store/ids.js";
import { engineStoreOf, openLog } from "../../store/log-handle.js";
import { isPostgresUrl, withoutPassword } from "../../store/pg/url.js";
import { deliveryReadsOf } from "../../store/ports/deliveries.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import { receivedStoreOf } from "../../store/ports/received.js";
import { type CliContext, stopCode } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { sendLine, viewOfOutcome } from "../render/delivery.js";
import { type DemoRow, demoSummaryJson, demoSummaryLines } from "../render/demo-summary.js";
import { requestLine, viewOfEvent } from "../render/received.js";
import { createReplayRenderer } from "../render/replay-progress.js";
import { packageVersion } from "../version.js";
import { type DemoEndpoint, demoEndpoints, demoPolicy } from "./demo-scenario.js";
import { cliSchedulerDeps, describer, pooledHex } from "./replay-run.js";

/**
 * `hookctl demo`: the whole loop on a temporary log — receivers that misbehave on purpose,
 * signed sends persisted first, real retries on a fast schedule, dead letters, a summary.
 * Exit 0 when every delivery ended as its receiver's behaviour says it should.
 */
export async function runDemo(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions & { keep?: boolean }>();
  const out = createOutput(ctx, flags);
  const dbPath =
    flags.db ??
    (ctx.env.HOOKCTL_DB
      ? resolveDbPath(undefined, ctx.env)
      : join(mkdtempSync(join(tmpdir(), "hookctl-demo-")), "hookctl.db"));
  const log = await openLog(dbPath);
  const endpoints = endpointStoreOf(log);
  const reads = deliveryReadsOf(log);
  for (const endpoint of demoEndpoints) {
    if (await endpoints.getEndpointByName(endpoint.name)) {
      await log.close();
      throw new UsageError(
        `${log.where} already has the demo's endpoint ${endpoint.name}`,
        flags.db !== undefined
          ? "run the demo on a fresh log (omit --db)"
          : "run the demo on a fresh log (unset HOOKCTL_DB, or point it at a new file)",
      );
    }
  }
  const engine = await engineStoreOf(log);
  const newId = idFactory(ctx.now, ctx.randomBytes);
  const secret = generateSecret(ctx.randomBytes);
  const capture = createStoreCapture(receivedStoreOf(log));
  const receivers: Receiver[] = [];
  const agent = new (loadAgent())({ connections: 16 });
  const say = (text: string) => {
    if (!out.json) out.line(text);
  };
  try {
    say(out.style.bold(`hookctl demo — log ${log.where}`));
    say(
      `policy: first attempt now, then ${demoPolicy.retries} retries from ${demoPolicy.initialMs}ms growing to ${demoPolicy.maxDelayMs / 1000}s (±${demoPolicy.jitter * 100}% jitter)`,
    );
    for (const [index, endpoint] of demoEndpoints.entries()) {
      const receiver = await startReceiver(
        { port: 0, path: "/hooks", secrets: [secret], failure: endpoint.failure },
        { now: ctx.now, random: mulberry32(index + 1), capture, ids: newId },
      );
      receivers.push(receiver);
      receiver.on("request", (event) =>
        say(
          `  ${out.style.dim(`${endpoint.name.padEnd(13)} ←`)} ${requestLine(viewOfEvent(event), out.style)}`,
        ),
      );
      await endpoints.insertEndpoint(endpointRow(endpoint, receiver.url, newId("ep"), ctx.now()), [secret]);
      say(`  receiver ${endpoint.name.padEnd(13)} ${receiver.url}  ${out.style.dim(endpoint.behaviour)}`);
    }

    const hex = pooledHex(ctx.randomBytes);
    const attempt = createAttempt({ now: ctx.now, dispatcher: agent });
    const sent: { endpoint: DemoEndpoint; deliveryId: string; eventType: string }[] = [];
    say(out.style.bold("\nsending (each event is in the log before it leaves)"));
    for (const endpoint of demoEndpoints) {
      const row = await endpoints.getEndpointByName(endpoint.name);
      if (!row) throw new Error(`demo endpoint ${endpoint.name} vanished`);
      for (const name of endpoint.fixtures) {
        const fixture = loadFixture(name);
        if (!fixture) throw new Error(`the demo's fixture ${name} is missing from the package`);
        const outcomes: DeliveryOutcome[] = [];
        await sendEvents(
          {
            target: {
              url: row.url,
              endpointId: row.id,
              endpointName: row.name,
              scheme: row.scheme,
              secrets: null,
              extraHeaders: {},
              timeoutMs: 5000,
              policy: demoPolicy,
              tls: null,
            },
            event: { type: fixture.type, body: fixture.body, contentType: fixture.contentType },
            count: 1,
            duplicate: 1,
            shuffle: false,
            concurrency: 1,
            ratePerSecond: null,
          },
          {
            store: engine,
            attempt,
            now: ctx.now,
            random: Math.random,
            newId,
            newToken: () => hex(16),
            randomHex: hex,
            userAgent: `hookctl/${packageVersion()}`,
            sleep: timerSleep,
          },
          {
            signal: ctx.signal,
            onEvent: (event) => {
              if (event.type === "delivery") outcomes.push(event.outcome);
            },
          },
        );
        for (const outcome of outcomes) {
          sent.push({ endpoint, deliveryId: outcome.deliveryId, eventType: outcome.event.type });
          say(`  ${sendLine(viewOfOutcome(outcome), out.style, { now: ctx.now(), hint: false })}`);
        }
      }
    }
    if (ctx.signal.aborted) return ExitCode.interrupted;

    say(out.style.bold("\nreplaying on the schedule (real timers; Retry-After respected)"));
    const described = describer(log, out.json);
    const renderer = createReplayRenderer(out, {
      now: ctx.now,
      live: ctx.stderr.isTTY === true && !out.json,
      describe: described.describe,
      // A replay now would find the demo's receivers gone: every attempt would fail.
      toContinue: "the demo's receivers stopped with it; run hookctl demo again",
    });
    const rendered = described.render((event) => {
      if (!out.json) renderer.onEvent(event);
    });
    let interrupted = false;
    try {
      const result = await runScheduler(
        { ...cliSchedulerDeps(engine, ctx), attempt },
        {
          scope: sent.map((item) => item.deliveryId),
          concurrency: 8,
          signal: ctx.signal,
          onEvent: rendered.onEvent,
        },
      );
      await rendered.flushed();
      interrupted = result.outcome === "interrupted";
    } finally {
      renderer.close();
    }
    if (interrupted) return ExitCode.interrupted;

    const rows: DemoRow[] = [];
    for (const { endpoint, deliveryId, eventType } of sent) {
      const delivery = await reads.getDelivery(deliveryId);
      const status = delivery?.status ?? "pending";
      const attempts = delivery?.attemptCount ?? 0;
      rows.push({
        endpoint: endpoint.name,
        behaviour: endpoint.behaviour,
        eventType,
        deliveryId,
        status,
        attempts,
        lastStatusCode: delivery?.lastStatusCode ?? null,
        asExpected: status === endpoint.expect.status && attempts === endpoint.expect.attempts,
      });
    }
    // What to paste: no --db when HOOKCTL_DB chose the log (the shell still has it); a
    // PostgreSQL URL without its password, which a pasted *** would not be.
    const pasteable = isPostgresUrl(dbPath) ? withoutPassword(dbPath) : { url: dbPath, removed: false };
    const dbFlag = flags.db === undefined && ctx.env.HOOKCTL_DB ? "" : ` --db ${pasteable.url}`;
    const healthy = demoEndpoints.findIndex((endpoint) => Object.keys(endpoint.failure).length === 0);
    const keptUrl = flags.keep ? (receivers[healthy]?.url ?? null) : null;
    if (out.json) out.writeJson(demoSummaryJson(rows, log.where));
    else {
      for (const line of demoSummaryLines(rows, out.style, dbFlag, { keptUrl })) out.line(line);
      if (pasteable.removed) {
        out.note("the commands above leave the log's password out: set PGPASSWORD (or use ~/.pgpass) first");
      }
    }
    const surprises = rows.filter((row) => !row.asExpected);
    for (const row of surprises)
      out.note(
        `hookctl: ${row.endpoint} ${row.eventType} ended ${row.status} after ${row.attempts} attempt(s), which the demo did not expect`,
      );
    if (flags.keep) {
      out.note(`receivers still running, Ctrl-C or SIGTERM stops them:`);
      for (const [index, endpoint] of demoEndpoints.entries())
        out.note(`  ${endpoint.name.padEnd(13)} ${receivers[index]?.url ?? ""}`);
      await untilAborted(ctx.signal);
      if (surprises.length === 0) return stopCode(ctx.signal);
    }
    return surprises.length === 0 ? ExitCode.ok : ExitCode.failed;
  } finally {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await capture.flush();
    await agent.close();
    await engine.close?.();
    await log.close();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function endpointRow(endpoint: DemoEndpoint, url: string, id: string, now: number) {
  return {
    id,
    name: endpoint.name,
    url,
    scheme: endpoint.scheme,
    ratePerSecond: null,
    concurrency: null,
    timeoutMs: 5000,
    policy: JSON.stringify(demoPolicy),
    tls: null,
    createdAt: now,
  };
}
