import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../../src/contract/registry.js";
import { errorReport } from "../../src/contract/schema/common.js";
import {
  deliveryDetail,
  delivery as deliverySchema,
  sendResult,
} from "../../src/contract/schema/delivery.js";
import {
  endpointAdded,
  endpointDetail,
  endpointRemoved,
  endpointRotated,
  endpoint as endpointSchema,
} from "../../src/contract/schema/endpoint.js";
import { listenRequest, receivedRequest, receivedRequestDetail } from "../../src/contract/schema/received.js";
import {
  purgeResult,
  replayEvent,
  requeueResult,
  wouldPurge,
  wouldRequeue,
} from "../../src/contract/schema/replay.js";
import {
  backoffSchedule,
  fixture,
  generatedKeyPair,
  generatedSecret,
  signResult,
} from "../../src/contract/schema/tools.js";
import { verifyBatchResult, verifyResult } from "../../src/contract/schema/verify.js";
import { openDb } from "../../src/store/open.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

/**
 * The machine contract end to end: every command's --json output parses with the schema
 * `hookctl schema` publishes, with nothing beyond it (zod drops unknown keys, so a parse that
 * differs from the input had extra fields), and one delivery is the same object everywhere.
 */
function lines(stdout: string): unknown[] {
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("one delivery, one shape", () => {
  it("send, log, log show, dlq list, dlq show, replay and inspect's data layer agree", async () => {
    // 503 then 410: the delivery retries once and ends dead, so every command has it.
    receiver = await startScriptedReceiver((_hit, n) =>
      n === 1 ? { status: 503, body: "down for a moment" } : { status: 410, body: "gone" },
    );
    const db = tempDb();
    const env = { HOOKCTL_DB: db };
    const sent = await runBin(
      [
        "send",
        `${receiver.url}?token=abc123456789`,
        "--data",
        '{"n":12345678901234567890}',
        "--secret",
        secret,
        "--json",
        "--initial",
        "10ms",
      ],
      { env },
    );
    expect(sent.code).toBe(1);
    const [fromSend] = lines(sent.stdout).map((line) => shaped(sendResult, line));
    if (!fromSend) throw new Error("send printed nothing");
    expect(fromSend).toMatchObject({
      status: "pending",
      attemptCount: 1,
      nextRetry: 1,
      sends: 1,
      skipped: 0,
    });
    expect(fromSend.url).not.toContain("abc123456789");
    expect(fromSend.signing.secrets).toEqual(["whsec_MfKQ…"]);

    const id = fromSend.id;
    const replayed = await runBin(["replay", "--json"], { env });
    expect(replayed.code).toBe(1);
    const events = lines(replayed.stdout).map((line) => shaped(replayEvent, line));
    expect(events.map((event) => event.type)).toEqual(["started", "attempt", "stopped"]);
    const attemptEvent = events[1];
    if (attemptEvent?.type !== "attempt") throw new Error("no attempt event");
    expect(attemptEvent.result).toBe("dead");
    expect(attemptEvent.attempt).toMatchObject({
      deliveryId: id,
      number: 2,
      statusCode: 410,
      responseBody: "gone",
    });
    const fromReplay = attemptEvent.delivery;
    expect(fromReplay).toMatchObject({ id, status: "dead", deadReason: "gone", attemptCount: 2 });

    const [fromLog] = lines((await runBin(["log", "--json"], { env })).stdout).map((l) =>
      shaped(deliverySchema, l),
    );
    const [fromDlq] = lines((await runBin(["dlq", "list", "--json"], { env })).stdout).map((l) =>
      shaped(deliverySchema, l),
    );
    const suffix = id.slice(-8);
    const logShow = shaped(
      deliveryDetail,
      JSON.parse((await runBin(["log", "show", suffix, "--json"], { env })).stdout),
    );
    const dlqShow = shaped(
      deliveryDetail,
      JSON.parse((await runBin(["dlq", "show", id, "--json"], { env })).stdout),
    );
    const handle = openDb(db, { mustExist: true });
    const fromInspect = createInspectStore(handle, Date.now).detail(id);
    handle.close();

    expect(fromLog).toEqual(fromReplay);
    expect(fromDlq).toEqual(fromReplay);
    expect(logShow.delivery).toEqual(fromReplay);
    expect(dlqShow).toEqual(logShow);
    expect(fromInspect).toEqual(logShow);
    // What send printed is the same delivery, one attempt earlier: the fields that do not move agree.
    const {
      status,
      attemptCount,
      scheduleAttempts,
      nextAttemptAt,
      nextTrigger,
      nextRetry,
      lastAttempt,
      deadReason,
      updatedAt,
      completedAt,
      sends,
      skipped,
      ...fixed
    } = fromSend;
    expect(fromReplay).toMatchObject(fixed);

    expect(logShow.event).toMatchObject({
      type: fromSend.event.type,
      body: '{"n":12345678901234567890}',
      bodyBase64: null,
    });
    expect(logShow.attempts.map((a) => [a.number, a.trigger, a.statusCode])).toEqual([
      [1, "initial", 503],
      [2, "scheduled", 410],
    ]);
    const signature = logShow.attempts[0]?.requestHeaders.find((h) => h.name === "X-Signature");
    expect(signature?.value).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("every command's --json parses with its published schema", () => {
  it("requeue and purge: dry runs, results", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 410 }));
    const env = { HOOKCTL_DB: tempDb() };
    const sent = await runBin(["send", receiver.url, "--data", "{}", "--json"], { env });
    const id = (JSON.parse(sent.stdout) as { id: string }).id;

    const dry = await runBin(["replay", id, "--dry-run", "--to", "http://u:pw@127.0.0.1:9/x", "--json"], {
      env,
    });
    expect(dry.code).toBe(0);
    const [would] = lines(dry.stdout).map((l) => shaped(wouldRequeue, l));
    expect(would).toMatchObject({
      outcome: "would-requeue",
      skipped: false,
      delivery: { id, status: "dead" },
    });
    expect(would?.to).toBe("http://u:…@127.0.0.1:9/x");

    const requeued = await runBin(["dlq", "requeue", id.slice(-6), "--json"], { env });
    expect(requeued.code).toBe(0);
    expect(lines(requeued.stdout).map((l) => shaped(requeueResult, l))).toEqual([
      { outcome: "requeued", id, deliveryId: id, previousStatus: "dead", url: receiver.url },
    ]);
    await runBin(["replay"], { env });

    const dryPurge = await runBin(["dlq", "purge", "--all", "--dry-run", "--json"], { env });
    expect(lines(dryPurge.stdout).map((l) => shaped(wouldPurge, l).delivery.id)).toEqual([id]);
    const purged = await runBin(["dlq", "purge", "--all", "--yes", "--json"], { env });
    expect(shaped(purgeResult, JSON.parse(purged.stdout))).toEqual({ purged: 1, ids: [id] });
  });

  it("endpoint add, list, show, rotate-secret, rm", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    const add = await runBin(
      [
        "endpoint",
        "add",
        "orders",
        "--url",
        "http://127.0.0.1:9/h",
        "--generate-secret",
        "--rate",
        "5/s",
        "--json",
      ],
      { env },
    );
    expect(add.code).toBe(0);
    const added = shaped(endpointAdded, JSON.parse(add.stdout));
    expect(added.generatedSecret).toMatch(/^whsec_/);
    expect(added.policy.factor).toBeCloseTo(2.484, 3);
    const listed = lines((await runBin(["endpoint", "list", "--json"], { env })).stdout).map((l) =>
      shaped(endpointSchema, l),
    );
    const { generatedSecret: _shown, ...withoutSecret } = added;
    expect(listed).toEqual([withoutSecret]);
    const shown = shaped(
      endpointDetail,
      JSON.parse((await runBin(["endpoint", "show", "orders", "--json"], { env })).stdout),
    );
    expect(shown.deliveries).toEqual({ pending: 0, inFlight: 0, succeeded: 0, dead: 0 });
    const rotated = await runBin(["endpoint", "rotate-secret", "orders", "--json"], { env });
    expect(shaped(endpointRotated, JSON.parse(rotated.stdout)).retiring).toBe(1);
    const removed = await runBin(["endpoint", "rm", "orders", "--yes", "--json"], { env });
    expect(shaped(endpointRemoved, JSON.parse(removed.stdout))).toEqual({
      name: "orders",
      removed: true,
      abandoned: 0,
    });
  });

  it("listen, log received, log received show, and verify of a capture as printed", async () => {
    const db = tempDb();
    const env = { HOOKCTL_DB: db };
    const listen = spawnBin(["listen", "--port", "0", "--secret", secret, "--json"], { env });
    let out = "";
    listen.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    let err = "";
    listen.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
    });
    try {
      const url = await waitFor(
        () => /listening on (http:\/\/\S+)/.exec(err)?.[1],
        10_000,
        "listen to start",
      );
      const sent = await runBin(
        [
          "send",
          url,
          "--data",
          '{"big":12345678901234567890}',
          "--secret",
          secret,
          "-H",
          "X-Auth-Password: hunter2hunter2",
        ],
        { env },
      );
      expect(sent.code).toBe(0);
      const line = await waitFor(
        () => (out.includes("\n") ? out.split("\n")[0] : undefined),
        10_000,
        "a request line",
      );
      const heard = shaped(listenRequest, JSON.parse(line as string));
      expect(heard).toMatchObject({
        verification: "verified",
        statusCode: 200,
        body: '{"big":12345678901234567890}',
      });
      expect(heard.headers.find((h) => h.name.toLowerCase() === "x-auth-password")?.value).not.toContain(
        "hunter2",
      );
    } finally {
      listen.kill("SIGTERM");
      await new Promise((resolve) => listen.once("close", resolve));
    }
    const [listed] = lines((await runBin(["log", "received", "--json"], { env })).stdout).map((l) =>
      shaped(receivedRequest, l),
    );
    if (!listed?.id) throw new Error("nothing captured");
    const shownRun = await runBin(["log", "received", "show", listed.id.slice(-7), "--json"], { env });
    const shown = shaped(receivedRequestDetail, JSON.parse(shownRun.stdout));
    const { headers: _headers, body, bodyBase64, ...summary } = shown;
    expect(summary).toEqual(listed);
    expect(body).toBe('{"big":12345678901234567890}');
    expect(bodyBase64).toBeNull();
    // The capture as printed is what verify reads: headers list and body, no reshaping.
    const capture = join(tempDir(), "capture.json");
    writeFileSync(capture, shownRun.stdout);
    const verified = await runBin(["verify", "--headers-file", capture, "--secret", secret, "--json"]);
    expect(verified.code).toBe(0);
    expect(shaped(verifyResult, JSON.parse(verified.stdout))).toMatchObject({
      valid: true,
      scheme: "hookctl",
    });
  });

  it("sign, verify, verify --batch, secret, backoff, fixtures", async () => {
    const signed = await runBin([
      "sign",
      "--data",
      "{}",
      "--secret",
      "s3cret",
      "--id",
      "m1",
      "--timestamp",
      "1700000000",
      "--format",
      "json",
    ]);
    const signature = shaped(signResult, JSON.parse(signed.stdout));
    expect(signature.headers.map((h) => h.name)).toEqual([
      "X-Signature",
      "X-Webhook-Delivery-ID",
      "X-Webhook-Timestamp",
    ]);
    const headerFlags = signature.headers.flatMap((h) => ["-H", `${h.name}: ${h.value}`]);
    const verified = await runBin([
      "verify",
      "--data",
      "{}",
      "--secret",
      "s3cret",
      ...headerFlags,
      "--tolerance",
      "0",
      "--json",
    ]);
    expect(verified.code).toBe(0);
    expect(shaped(verifyResult, JSON.parse(verified.stdout))).toMatchObject({
      valid: true,
      outcome: "valid",
    });
    const nothing = await runBin(["verify", "--data", "{}", "--secret", "s3cret", "--json"]);
    expect(nothing.code).toBe(2);
    expect(shaped(verifyResult, JSON.parse(nothing.stdout))).toMatchObject({
      valid: false,
      outcome: "unverifiable",
    });

    const batchInput = [
      JSON.stringify({ headers: signature.headers, body: "{}" }),
      JSON.stringify({ headers: { "X-Signature": {} }, body: "{}" }),
    ].join("\n");
    const batch = await runBin(["verify", "--batch", "--secret", "s3cret", "--tolerance", "0"], {
      input: batchInput,
    });
    const results = lines(batch.stdout).map((l) => shaped(verifyBatchResult, l));
    expect(results.map((r) => [r.line, r.outcome])).toEqual([
      [1, "valid"],
      [2, "unverifiable"],
    ]);

    shaped(generatedSecret, JSON.parse((await runBin(["secret", "generate", "--json"])).stdout));
    shaped(
      generatedKeyPair,
      JSON.parse((await runBin(["secret", "generate", "--ed25519", "--json"])).stdout),
    );
    const schedule = shaped(backoffSchedule, JSON.parse((await runBin(["backoff", "--json"])).stdout));
    expect(schedule.retries).toHaveLength(10);
    const fixtures = lines((await runBin(["send", "--list-fixtures", "--json"])).stdout).map((l) =>
      shaped(fixture, l),
    );
    expect(fixtures.map((f) => f.name)).toContain("order.created");
  });

  it("errors with --json are one JSON object on stderr, with the exit code", async () => {
    const run = await runBin(["log", "show", "nope-nope", "--json"], { env: { HOOKCTL_DB: tempDb() } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const report = shaped(errorReport, JSON.parse(run.stderr));
    expect(report.error.exitCode).toBe(2);
  });
});

describe("hookctl schema", () => {
  it("lists every schema and prints each as JSON Schema", async () => {
    const list = await runBin(["schema", "--json"]);
    const names = lines(list.stdout).map((entry) => (entry as { name: string }).name);
    expect(names).toEqual(contract.map((entry) => entry.name));
    for (const name of ["delivery", "replay-event", "verify-result", "headers-input"]) {
      const run = await runBin(["schema", name]);
      expect(run.code).toBe(0);
      const document = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(document.title).toBe(name);
      expect(document.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    }
    const bad = await runBin(["schema", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});
