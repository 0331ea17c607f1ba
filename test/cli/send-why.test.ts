import { afterEach, describe, expect, it } from "vitest";
import { sendResult } from "../../src/contract/schema/delivery.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("send says why a receiver refused", () => {
  it("a 401 is dead at once (rejected) and shows the receiver's reason and what to check", async () => {
    receiver = await startScriptedReceiver(() => ({
      status: 401,
      body: "signature does not match any secret\nsecond line",
    }));
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--fixture", "order.created"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("✗ 401");
    expect(result.stdout).toContain("dead: rejected (401, not retried)");
    expect(result.stdout).toContain('"signature does not match any secret"');
    expect(result.stdout).not.toContain("second line");
    expect(result.stdout).toContain(
      "the receiver rejected the signature? check the endpoint's secret and scheme",
    );
    expect(receiver.hits).toHaveLength(1);

    const json = await runCli(["--db", db, "--json", "send", receiver.url, "--fixture", "order.created"]);
    expect(shaped(sendResult, JSON.parse(json.stdout))).toMatchObject({
      status: "dead",
      deadReason: "rejected",
      policy: { retry4xx: false },
    });
  });

  it("a 404 suggests the path, and --retry-4xx schedules a retry instead", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 404, body: "Not Found" }));
    const db = tempDb();
    const result = await runCli(["--db", db, "send", receiver.url, "--fixture", "order.created"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('"Not Found"');
    expect(result.stdout).toContain("listen accepts any path unless --path narrows it");

    const retried = await runCli(["--db", db, "--json", "send", receiver.url, "--retry-4xx"]);
    expect(shaped(sendResult, JSON.parse(retried.stdout))).toMatchObject({
      status: "pending",
      nextRetry: 1,
      policy: { retry4xx: true },
    });
  });

  it("log show gives the same hint on the failed attempt", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 403, body: "forbidden" }));
    const db = tempDb();
    const sent = await runCli(["--db", db, "--json", "send", receiver.url]);
    const id = JSON.parse(sent.stdout).id as string;
    const shown = await runCli(["--db", db, "log", "show", id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('"forbidden"');
    expect(shown.stdout).toContain("the receiver rejected the signature?");
    expect(shown.stdout).toMatch(/rejected \(403, not retried\)/);
  });

  it("backoff --help says which answers are retried and how to retry 4xx anyway", async () => {
    const help = await runCli(["backoff", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--retry-4xx");
    expect(help.stdout).toMatch(/408, 409, 423, 425, 429, 5xx/);
    expect(help.stdout).toMatch(/dead at once\s+as "rejected"/);
  });
});
