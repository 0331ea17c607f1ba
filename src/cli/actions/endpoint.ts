import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import { endpointDetailJson, endpointJson } from "../../contract/endpoint.js";
import { maskSecret, maskUrl } from "../../contract/mask.js";
import { defaultPolicy, mergePolicy, parsePolicy, policyProblem } from "../../delivery/policy.js";
import { ExitCode, UsageError } from "../../errors.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import { generateSecret, parseSchemeName } from "../../signing/index.js";
import type { EndpointRow } from "../../store/endpoints.js";
import { newId } from "../../store/ids.js";
import { endpointStoreOf } from "../../store/ports/endpoints.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { type PolicyFlagValues, policyOverride } from "../policy-flags.js";
import { policyWords } from "../render/policy.js";
import { dateTime } from "../render/time.js";
import { collectSecrets, type SecretFlags } from "../secrets.js";
import { withLog } from "../store.js";
import { eventsFlag, subscriptionWords } from "../subscription.js";
import { type TlsFlags, tlsFromFlags } from "../tls-flags.js";
import { parseHttpUrl } from "../urls.js";
import { checkSecrets, defaultTimeoutMs, findEndpoint } from "./send-input.js";

interface AddFlags extends GlobalOptions, PolicyFlagValues, SecretFlags, TlsFlags {
  url: string;
  scheme: string;
  generateSecret?: boolean;
  rate?: number;
  concurrency?: number;
  timeout?: number;
  events?: string[];
}

/** `endpoint add`: prints a generated secret in full, once; any given secret only masked. */
export async function runEndpointAdd(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<AddFlags>();
  const out = createOutput(ctx, flags);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UsageError(
      `bad endpoint name ${JSON.stringify(name)}`,
      "use letters, digits, '.', '_' or '-' (up to 64), starting with a letter or digit",
    );
  }
  const url = parseHttpUrl(flags.url, "--url");
  const scheme = parseSchemeName(flags.scheme);
  if (!scheme)
    throw new UsageError(`unknown scheme ${JSON.stringify(flags.scheme)}`, "see hookctl endpoint add --help");
  const given = await collectSecrets(flags, ctx);
  if (flags.generateSecret && given.length > 0) {
    throw new UsageError("give --secret/--secret-file or --generate-secret, not both");
  }
  const generated = flags.generateSecret ? generateSecret(ctx.randomBytes) : undefined;
  const secrets = generated ? [generated] : given;
  checkSecrets(scheme, secrets);
  const override = policyOverride(flags);
  const problem = policyProblem(mergePolicy(defaultPolicy, override));
  if (problem) throw new UsageError(`bad retry policy: ${problem}`, "see hookctl backoff --help");
  if (flags.timeout !== undefined && !(flags.timeout > 0)) throw new UsageError("--timeout must be above 0");
  const events = flags.events ? eventsFlag(flags.events) : null;
  const tls = (await tlsFromFlags(flags, ctx, url, (line) => out.note(line))) ?? null;
  const endpoint: EndpointRow = {
    id: newId("ep", ctx.now(), ctx.randomBytes),
    name,
    url,
    scheme,
    ratePerSecond: flags.rate ?? null,
    concurrency: flags.concurrency ?? null,
    timeoutMs: flags.timeout ?? null,
    policy: Object.keys(override).length > 0 ? JSON.stringify(override) : null,
    tls,
    events,
    createdAt: ctx.now(),
  };
  await withLog(flags, ctx, {}, async (log) => {
    // The name is checked by the insert itself, so two processes adding it at once get one answer each.
    if (!(await endpointStoreOf(log).insertEndpoint(endpoint, secrets))) {
      throw new UsageError(
        `endpoint ${name} already exists`,
        `remove it first with hookctl endpoint rm ${name}`,
      );
    }
  });
  if (out.json) {
    out.writeJson({
      ...endpointJson(
        endpoint,
        secrets.map((secret) => ({ secret, createdAt: endpoint.createdAt, expiresAt: null })),
      ),
      generatedSecret: generated ?? null,
    });
    return ExitCode.ok;
  }
  const signing = secrets.length > 0 ? `secret ${secrets.map(maskSecret).join(", ")}` : "no secret: unsigned";
  const subscribed = events ? `, events ${subscriptionWords(events)}` : "";
  out.line(
    `${out.style.ok("✓")} added endpoint ${out.style.bold(name)} → ${maskUrl(url)} (${scheme}, ${signing}${subscribed})`,
  );
  if (generated) {
    // The one time this secret is shown in full: the receiver needs it to verify.
    out.line(`secret: ${generated}`);
    out.note("this secret is shown once; configure your receiver with it now");
  }
  return ExitCode.ok;
}

/** `endpoint list`: one line (or JSON object) per endpoint, secrets masked. */
export async function runEndpointList(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  const now = ctx.now();
  const rows = await withLog(flags, ctx, { readOnly: true }, async (log) => {
    const store = endpointStoreOf(log);
    const endpoints = await store.listEndpoints();
    return Promise.all(
      endpoints.map(async (endpoint) => ({
        endpoint,
        secrets: await store.listEndpointSecrets(endpoint.id, now),
      })),
    );
  });
  if (out.json) {
    for (const { endpoint, secrets } of rows) out.writeJson(endpointJson(endpoint, secrets));
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    out.note("no endpoints yet; add one with hookctl endpoint add <name> --url <url>");
    return ExitCode.ok;
  }
  const cells = rows.map(({ endpoint, secrets }) => {
    const secret = secrets[0] ? maskSecret(secrets[0].secret) : out.style.dim("unsigned");
    const extra = secrets.length > 1 ? out.style.dim(` +${secrets.length - 1} retiring`) : "";
    return [
      out.style.bold(escapeControl(endpoint.name)),
      maskUrl(endpoint.url),
      endpoint.scheme,
      subscriptionWords(endpoint.events),
      `${secret}${extra}`,
      out.style.dim(limits(endpoint)),
    ];
  });
  for (const line of table(endpointColumns, cells, { header: out.style.bold })) out.line(line);
  return ExitCode.ok;
}

const endpointColumns = [
  { header: "name" },
  { header: "url" },
  { header: "scheme" },
  { header: "events" },
  { header: "secret" },
  { header: "limits" },
];

function limits(endpoint: EndpointRow): string {
  const parts: string[] = [];
  if (endpoint.ratePerSecond !== null) parts.push(`${endpoint.ratePerSecond}/s`);
  if (endpoint.concurrency !== null) parts.push(`concurrency ${endpoint.concurrency}`);
  if (endpoint.timeoutMs !== null) parts.push(`timeout ${formatDuration(endpoint.timeoutMs)}`);
  if (endpoint.tls) parts.push(endpoint.tls.insecure ? "tls not verified" : "tls own CA");
  return parts.join(", ");
}

/** `endpoint show`: settings, secrets (masked, with expiry) and delivery counts. */
export async function runEndpointShow(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  const now = ctx.now();
  const { endpoint, secrets, counts } = await withLog(flags, ctx, { readOnly: true }, async (log) => {
    const store = endpointStoreOf(log);
    const endpoint = await findEndpoint(store, name);
    return {
      endpoint,
      secrets: await store.listEndpointSecrets(endpoint.id, now),
      counts: await store.endpointDeliveryCounts(endpoint.id),
    };
  });
  if (out.json) {
    out.writeJson(endpointDetailJson(endpoint, secrets, counts));
    return ExitCode.ok;
  }
  const field = (label: string, value: string) => out.line(`  ${out.style.dim(label.padEnd(11))} ${value}`);
  out.line(out.style.bold(endpoint.name));
  field("url", maskUrl(endpoint.url));
  field("scheme", endpoint.scheme);
  field(
    "events",
    endpoint.events ? subscriptionWords(endpoint.events) : `* ${out.style.dim("(every event type)")}`,
  );
  if (secrets.length === 0) field("secrets", "none (sends are unsigned)");
  secrets.forEach((s, i) => {
    const role = i === 0 ? "primary" : "retiring";
    const expiry = s.expiresAt !== null ? `, valid until ${dateTime(s.expiresAt)}` : "";
    field(
      i === 0 ? "secrets" : "",
      `${maskSecret(s.secret)}  ${out.style.dim(`${role}, added ${dateTime(s.createdAt)}${expiry}`)}`,
    );
  });
  field("rate", endpoint.ratePerSecond !== null ? `${endpoint.ratePerSecond}/s` : "unlimited");
  field("concurrency", endpoint.concurrency !== null ? String(endpoint.concurrency) : "no cap");
  field("timeout", formatDuration(endpoint.timeoutMs ?? defaultTimeoutMs));
  field(
    "policy",
    endpoint.policy
      ? policyWords(parsePolicy(endpoint.policy, `endpoint ${endpoint.name} policy`))
      : `${policyWords(defaultPolicy)} ${out.style.dim("(the defaults)")}`,
  );
  field(
    "deliveries",
    Object.entries(counts)
      .map(([status, n]) => `${n} ${status}`)
      .join(", "),
  );
  return ExitCode.ok;
}
