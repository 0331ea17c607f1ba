import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import { endpointJson } from "../../contract/endpoint.js";
import { maskSecret } from "../../contract/mask.js";
import { timerSleep } from "../../delivery/rate-limit.js";
import { ExitCode, UsageError } from "../../errors.js";
import { generateSecret, type SchemeName } from "../../signing/index.js";
import type { RemoveResult } from "../../store/endpoints.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import { confirmOrRefuse } from "../confirm.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { dateTime, iso } from "../render/time.js";
import { collectSecrets, type SecretFlags } from "../secrets.js";
import { withLog } from "../store.js";
import { eventsFlag, subscriptionWords } from "../subscription.js";
import { checkSecrets, findEndpoint, unknownEndpoint } from "./send-input.js";

interface RotateFlags extends GlobalOptions, SecretFlags {
  grace: number;
}

interface SetFlags extends GlobalOptions {
  events?: string[];
  allEvents?: boolean;
}

/**
 * `endpoint set`: replace the event types the endpoint subscribes to. Deliveries already queued
 * keep going; only events `serve` accepts from now on are fanned out by the new list.
 */
export async function runEndpointSet(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<SetFlags>();
  const out = createOutput(ctx, flags);
  if (flags.events && flags.allEvents) throw new UsageError("give --events or --all-events, not both");
  if (!flags.events && !flags.allEvents) {
    throw new UsageError("nothing to set", "give --events <globs> or --all-events");
  }
  const events = flags.events ? eventsFlag(flags.events) : null;
  const now = ctx.now();
  const { endpoint, secrets } = await withLog(flags, ctx, { mustExist: true }, async (log) => {
    const store = endpointStoreOf(log);
    return (await store.setEndpointEvents(name, events, now)) ?? unknownEndpoint(store, name);
  });
  if (out.json) out.writeJson(endpointJson(endpoint, secrets));
  else {
    const receives = events ? subscriptionWords(events) : "every event type";
    out.line(`${out.style.ok("✓")} ${out.style.bold(endpoint.name)} now receives ${receives}`);
  }
  return ExitCode.ok;
}

/** How often `endpoint rm --force` looks whether the attempts in flight are recorded. */
const inFlightPollMs = 200;
/**
 * How long it waits for them at most: an attempt lasts at most its timeout (10 s by default),
 * but an engine's claimed-ahead deliveries are in flight too and would each be sent first.
 */
const inFlightWaitMs = 30_000;

/**
 * `endpoint rm`: asks first on a terminal (its secrets go with it), needs --yes elsewhere;
 * refuses while deliveries are still waiting, unless --force (they become dead).
 */
export async function runEndpointRm(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions & { force?: boolean; yes?: boolean }>();
  const out = createOutput(ctx, flags);
  if (!flags.yes) {
    const secrets = await withLog(flags, ctx, { mustExist: true }, async (log) => {
      const store = endpointStoreOf(log);
      return (await store.listEndpointSecrets((await findEndpoint(store, name)).id)).length;
    });
    const what = `endpoint ${name} and its ${secrets} ${secrets === 1 ? "secret" : "secrets"}`;
    if (!(await confirmOrRefuse(ctx, `Remove ${what}?`, `refusing to remove ${what}`))) {
      out.note("nothing removed");
      return ExitCode.ok;
    }
  }
  const result = await withLog(flags, ctx, { mustExist: true }, async (log) => {
    const store = endpointStoreOf(log);
    const endpoint = await findEndpoint(store, name);
    const force = flags.force === true;
    let first: RemoveResult | undefined;
    let abandoned = 0;
    let sparing: readonly string[] | undefined;
    const giveUpAt = ctx.now() + inFlightWaitMs;
    // Attempts in flight now finish and are recorded first (the receiver may already have
    // answered); deliveries claimed later are not waited for, nor anything past the bound.
    for (;;) {
      const now = ctx.now();
      const step = await store.removeEndpoint(endpoint.id, {
        force,
        now,
        sparing: now >= giveUpAt ? [] : sparing,
      });
      first ??= step;
      abandoned += step.abandoned;
      if (step.removed || step.inFlight.length === 0) {
        return { ...step, waiting: first.waiting, abandoned, gaveUp: now >= giveUpAt && first !== step };
      }
      if (sparing === undefined) {
        const n = step.inFlight.length;
        out.note(
          `waiting for ${n} ${n === 1 ? "delivery" : "deliveries"} in flight to ${name} to be recorded (at most ${formatDuration(inFlightWaitMs)})…`,
        );
      }
      sparing = step.inFlight;
      await timerSleep(inFlightPollMs, ctx.signal);
      if (ctx.signal.aborted) return { ...step, waiting: first.waiting, abandoned, interrupted: true };
    }
  });
  if ("interrupted" in result) {
    out.note(
      `interrupted: endpoint ${name} is not removed (attempts still in flight); ${result.abandoned} waiting deliveries were marked dead`,
    );
    return ExitCode.interrupted;
  }
  if (!result.removed) {
    throw new UsageError(
      `endpoint ${name} has ${result.waiting} deliveries still waiting`,
      "run hookctl replay first, or pass --force to give them up (they become dead letters)",
    );
  }
  if ("gaveUp" in result && result.gaveUp) {
    out.note(
      `gave up waiting after ${formatDuration(inFlightWaitMs)}: deliveries still in flight were marked dead; an attempt of theirs still running is not recorded`,
    );
  }
  if (out.json) out.writeJson({ name, removed: true, abandoned: result.abandoned });
  else {
    const abandoned = result.abandoned > 0 ? ` (${result.abandoned} waiting deliveries marked dead)` : "";
    out.line(`${out.style.ok("✓")} removed endpoint ${name}${abandoned}`);
  }
  return ExitCode.ok;
}

/** `endpoint rotate-secret`: a new primary secret, printed once in full; the old ones retire after --grace. */
export async function runEndpointRotate(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<RotateFlags>();
  const out = createOutput(ctx, flags);
  // Only explicit flags: HOOKCTL_SECRET holds the secret in use now, not the next one.
  const given = flags.secret || flags.secretFile ? await collectSecrets(flags, ctx) : [];
  if (given.length > 1) throw new UsageError("rotate to one secret at a time");
  const now = ctx.now();
  const { endpoint, secret, result } = await withLog(flags, ctx, { mustExist: true }, async (log) => {
    const store = endpointStoreOf(log);
    const endpoint = await findEndpoint(store, name);
    const secret = given[0] ?? generateSecret(ctx.randomBytes);
    checkSecrets(endpoint.scheme as SchemeName, [secret]);
    if ((await store.listEndpointSecrets(endpoint.id, now)).some((s) => s.secret === secret)) {
      throw new UsageError(
        "that secret is already in use by this endpoint",
        "give a new one, or leave --secret out",
      );
    }
    return {
      endpoint,
      secret,
      result: await store.rotateEndpointSecret(endpoint.id, secret, now, flags.grace),
    };
  });
  const shown = given.length > 0 ? maskSecret(secret) : secret;
  if (out.json) {
    out.writeJson({
      name: endpoint.name,
      secret: shown,
      retiring: result.retiring,
      retiringUntil: result.retiring > 0 ? iso(result.expiresAt) : null,
    });
    return ExitCode.ok;
  }
  out.line(`${out.style.ok("✓")} rotated the secret of ${out.style.bold(endpoint.name)}`);
  out.line(`secret: ${shown}`);
  if (given.length === 0) out.note("the new secret is shown once; configure your receiver with it now");
  if (result.retiring > 0) {
    out.note(
      `the old secret stays valid until ${dateTime(result.expiresAt)} (grace ${formatDuration(flags.grace)}); until then deliveries carry both signatures where the scheme allows`,
    );
  }
  return ExitCode.ok;
}
