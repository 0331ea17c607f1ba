import type { Command } from "commander";
import { deliveryJson } from "../../contract/delivery.js";
import type { SendResultJson } from "../../contract/schema/delivery.js";
import { createAttempt } from "../../delivery/attempt.js";
import { listFixtures } from "../../delivery/fixtures.js";
import { timerSleep } from "../../delivery/rate-limit.js";
import { type SendEvent, type SendPlan, sendEvents } from "../../delivery/send.js";
import type { DeliveryOutcome } from "../../delivery/send-outcome.js";
import { proxySettings, Transport } from "../../delivery/transport.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { EngineStore } from "../../store/engine-port.js";
import { idFactory } from "../../store/ids.js";
import { engineStoreOf } from "../../store/log-handle.js";
import { type DeliveryReads, deliveryReadsOf } from "../../store/ports/deliveries.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import type { CliContext } from "../context.js";
import { createOutput, type Output } from "../output.js";
import { sendLine, viewOfOutcome } from "../render/delivery-view.js";
import { ProgressBar, summaryLines } from "../render/send-summary.js";
import { openLogFor } from "../store.js";
import { tlsFailureHint } from "../tls-flags.js";
import { parseHttpUrl } from "../urls.js";
import { packageVersion } from "../version.js";
import { runSchedule } from "./replay-run.js";
import { extraHeaders, looksLikeUrl, resolvePayload, resolveTarget, type SendFlags } from "./send-input.js";

/** Runs at least this many sends get a progress bar (on a terminal). */
const progressThreshold = 20;

/** `hookctl send`: persist, sign, deliver; exit 0 if every delivery succeeded, 1 if not, 130 if interrupted. */
export async function runSend(
  targetArg: string | undefined,
  file: string | undefined,
  command: Command,
  ctx: CliContext,
): Promise<number> {
  const flags = command.optsWithGlobals<SendFlags>();
  const out = createOutput(ctx, flags);
  if (flags.listFixtures) return printFixtures(out);
  if (targetArg === undefined) {
    throw new UsageError("no target given", "hookctl send <endpoint-name|http(s) URL> [file|-]; see --help");
  }
  if (looksLikeUrl(targetArg)) parseHttpUrl(targetArg);
  const headers = extraHeaders(flags.header);
  const payload = await resolvePayload(file, flags, ctx);
  if (headers.contentType) payload.contentType = headers.contentType;

  const log = await openLogFor(flags, ctx);
  let store: (EngineStore & { close?(): Promise<void> }) | undefined;
  let transport: Transport | undefined;
  let bar: ProgressBar | undefined;
  let flushLines = () => {};
  try {
    const { target, endpoint, signing } = await resolveTarget(
      endpointStoreOf(log),
      targetArg,
      flags,
      ctx,
      headers.headers,
      (line) => out.note(line),
    );
    if (signing.length === 0) {
      out.note(
        endpoint
          ? `note: endpoint ${endpoint.name} has no secret; sending unsigned`
          : "note: sending unsigned (no --secret, --secret-file or HOOKCTL_SECRET)",
      );
    }
    const concurrency = flags.concurrency ?? endpoint?.concurrency ?? 1;
    const plan: SendPlan = {
      target,
      event: { type: payload.type, body: payload.body, contentType: payload.contentType },
      count: flags.count,
      duplicate: flags.duplicate,
      shuffle: flags.shuffle === true,
      concurrency,
      ratePerSecond: flags.rate ?? endpoint?.ratePerSecond ?? null,
      keepPending: flags.wait === true,
    };
    // Keep-alive pools sized to the concurrency: a load run reuses its connections.
    transport = new Transport({
      agent: { connections: concurrency, keepAliveTimeout: 30_000 },
      proxy: proxySettings(ctx.env),
    });
    const random = pooledRandom(ctx.randomBytes);
    const hex = (bytes: number) => Buffer.from(random(bytes)).toString("hex");
    const total = plan.count * plan.duplicate;
    if (!out.quiet && ctx.stderr.isTTY && total >= progressThreshold)
      bar = new ProgressBar(out, total, ctx.now);
    const single = plan.count === 1;
    // A load run prints thousands of lines: write them once per event-loop turn, not one by one.
    let queued = "";
    flushLines = () => {
      if (queued !== "") ctx.stdout.write(queued);
      queued = "";
    };
    const emit = (text: string) => {
      if (bar) return bar.line(text);
      if (queued === "") setImmediate(flushLines);
      queued += `${text}\n`;
    };
    const reads = out.json ? deliveryReadsOf(log) : undefined;
    // JSON lines are read back from the log: each read starts at once, the lines keep their order.
    let written: Promise<void> = Promise.resolve();
    const onEvent = (event: SendEvent) => {
      if (event.type === "attempt") bar?.tick(event.report.decision.status === "succeeded");
      else if (event.type === "skipped") bar?.tick(false);
      else if (event.type === "delivery") {
        if (reads) {
          written = Promise.all([written, sendResultJson(reads, event.outcome)]).then(([, json]) =>
            emit(JSON.stringify(json)),
          );
          // Awaited once the run is over; until then a failed read must not count as unhandled.
          written.catch(() => {});
        } else if (!out.quiet)
          emit(
            sendLine(viewOfOutcome(event.outcome), out.style, {
              now: ctx.now(),
              // With --wait the retries run here next: no advice to run replay.
              hint: single && flags.wait !== true,
            }),
          );
      }
    };
    store = await engineStoreOf(log);
    const result = await sendEvents(
      plan,
      {
        store,
        attempt: createAttempt({ now: ctx.now, transport }),
        now: ctx.now,
        random: Math.random,
        newId: idFactory(ctx.now, random),
        newToken: () => hex(16),
        randomHex: hex,
        userAgent: `hookctl/${packageVersion()}`,
        sleep: timerSleep,
      },
      { signal: ctx.signal, onEvent },
    );
    await written;
    flushLines();
    bar?.clear();
    bar = undefined;
    const hint = tlsFailureHint(result.tlsFailure ?? undefined);
    if (hint) out.note(hint);
    if (total > 1 || result.interrupted)
      for (const line of summaryLines(result, out.style, ctx.now(), { waiting: flags.wait === true }))
        out.note(line);
    if (result.interrupted) return ExitCode.interrupted;
    const settled = result.tally.succeeded === plan.count;
    if (!flags.wait || result.pendingIds.length === 0) return settled ? ExitCode.ok : ExitCode.failed;
    // --wait: the deliveries left pending go on as `replay` would run them (same engine, output).
    const retried = await runSchedule(
      log,
      { concurrency, watch: false, policy: {}, scope: result.pendingIds },
      ctx,
      out,
    );
    const unsettled = result.tally.dead + result.tally.elsewhere > 0;
    return retried === ExitCode.ok && unsettled ? ExitCode.failed : retried;
  } finally {
    flushLines();
    bar?.clear();
    await transport?.close();
    await store?.close?.();
    await log.close();
  }
}

/**
 * Ids, lease tokens and trace ids need a few random bytes each, thousands of times in a load
 * run: draw them from a pool refilled 64 KiB at a time instead of one system call each.
 */
function pooledRandom(source: (size: number) => Uint8Array): (size: number) => Uint8Array {
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return (size) => {
    if (offset + size > pool.length) {
      pool = source(Math.max(65_536, size));
      offset = 0;
    }
    offset += size;
    return pool.subarray(offset - size, offset);
  };
}

function printFixtures(out: Output): number {
  for (const fixture of listFixtures()) {
    if (out.json) out.writeJson(fixture);
    else out.line(`${fixture.name.padEnd(24)} ${out.style.dim(`${fixture.bytes} bytes`)}`);
  }
  return ExitCode.ok;
}

/**
 * The delivery as the log has it once this run's record of it is committed (the contract's one
 * delivery shape, read back rather than rebuilt), with this run's send counts.
 */
async function sendResultJson(reads: DeliveryReads, outcome: DeliveryOutcome): Promise<SendResultJson> {
  const [item] = await reads.describeDeliveries([outcome.deliveryId]);
  if (!item) throw new Error(`delivery ${outcome.deliveryId} vanished from the log during send`);
  return { ...deliveryJson(item), sends: outcome.sends, skipped: outcome.skipped };
}
