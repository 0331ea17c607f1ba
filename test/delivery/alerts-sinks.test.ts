import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CommandRun, commandSink } from "../../src/delivery/alerts/command-sink.js";
import { httpSink } from "../../src/delivery/alerts/http-sink.js";
import { runShellCommand } from "../../src/delivery/alerts/spawn.js";
import type { AlertMessage } from "../../src/delivery/alerts/types.js";
import { createAttempt } from "../../src/delivery/attempt.js";
import { verify } from "../../src/signing/index.js";
import { type Receiver, startReceiver } from "../helpers/receivers.js";
import { tempDir } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const t0 = Date.UTC(2026, 0, 1);

function message(id = "alr_01TEST_3"): AlertMessage {
  const alert = {
    id,
    type: "delivery.dead" as const,
    createdAt: new Date(t0).toISOString(),
    deliveryId: "dlv_01TEST",
    delivery: null,
  };
  return { alert, body: JSON.stringify(alert) };
}

const live = () => new AbortController().signal;

describe("the --on-dead command sink", () => {
  it("runs sh -c in the given directory with the alert as a JSON line on stdin and its ids in the environment", async () => {
    const dir = tempDir();
    const command =
      'cat >> alerts.jsonl && printf "%s %s %s\\n" "$HOOKCTL_ALERT_ID" "$HOOKCTL_DELIVERY_ID" "$KEPT" > env.txt';
    const sink = commandSink(command, {
      env: { ...process.env, KEPT: "yes" },
      cwd: dir,
      run: runShellCommand,
    });
    expect(sink.name).toBe(`command:${command}`);
    expect(await sink.send(message(), live())).toEqual({ ok: true });
    expect(await sink.send(message("alr_01TEST_4"), live())).toEqual({ ok: true });
    const lines = readFileSync(join(dir, "alerts.jsonl"), "utf8").split("\n");
    expect(lines.map((line) => (line ? JSON.parse(line).id : line))).toEqual([
      "alr_01TEST_3",
      "alr_01TEST_4",
      "",
    ]);
    expect(readFileSync(join(dir, "env.txt"), "utf8")).toBe("alr_01TEST_4 dlv_01TEST yes\n");
  });

  it("a non-zero exit fails with the first line of stderr, or the status when stderr is empty", async () => {
    const sink = (command: string) =>
      commandSink(command, { env: process.env, cwd: tempDir(), run: runShellCommand });
    expect(
      await sink("echo out; printf '\\n  no route to pager\\nmore\\n' >&2; exit 3").send(message(), live()),
    ).toEqual({
      ok: false,
      error: "no route to pager",
    });
    expect(await sink("exit 4").send(message(), live())).toEqual({ ok: false, error: "exit status 4" });
    expect(await sink("kill -TERM $$").send(message(), live())).toEqual({
      ok: false,
      error: "killed by SIGTERM",
    });
    // Not reading stdin is not a failure.
    expect(await sink("true").send(message(), live())).toEqual({ ok: true });
  });

  it("a command still running at the timeout is killed, with what it started, and failed", async () => {
    const dir = tempDir();
    const sink = commandSink("sleep 30 & echo $! > child.pid; wait", {
      env: process.env,
      cwd: dir,
      run: runShellCommand,
      timeoutMs: 300,
    });
    expect(await sink.send(message(), live())).toEqual({ ok: false, error: "no exit within 300 ms; killed" });
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    // The whole group was killed: the background sleep is gone too (signal 0 only checks; a
    // zombie waiting to be reaped is dead already).
    const alive = () => {
      try {
        process.kill(child, 0);
      } catch {
        return false;
      }
      const stat = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, "utf8") : "";
      return !/^\d+ \(.*\) Z/.test(stat);
    };
    const deadline = Date.now() + 5000;
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
  });

  it("an abandoned send settles at once", async () => {
    const sink = commandSink("sleep 30", { env: process.env, cwd: tempDir(), run: runShellCommand });
    const stop = new AbortController();
    const sent = sink.send(message(), stop.signal);
    stop.abort();
    expect(await sent).toMatchObject({ ok: false });
  });

  it("hands the injected runner the command, stdin, environment and its default 30 s timeout", async () => {
    const runs: CommandRun[] = [];
    const sink = commandSink("notify", {
      env: { PATH: "/bin" },
      cwd: "/srv",
      run: async (run) => {
        runs.push(run);
        return { code: 0, signal: null, stderr: "" };
      },
    });
    await sink.send(message(), live());
    expect(runs[0]).toMatchObject({
      command: "notify",
      stdin: `${message().body}\n`,
      env: { PATH: "/bin", HOOKCTL_ALERT_ID: "alr_01TEST_3", HOOKCTL_DELIVERY_ID: "dlv_01TEST" },
      cwd: "/srv",
      timeoutMs: 30_000,
    });
  });
});

describe("the --alert-url webhook sink", () => {
  const secret = "whsec_c2VjcmV0LWZvci1hbGVydHM=";

  it("posts the alert signed with the hookctl scheme, the alert id as the delivery id; 2xx confirms", async () => {
    receiver = await startReceiver({ status: 204 });
    const sink = httpSink(receiver.url, {
      secrets: [secret],
      attempt: createAttempt({ now: () => t0 }),
      now: () => t0,
      userAgent: "hookctl-test",
    });
    expect(sink.name).toBe(`url:${receiver.url}`);
    expect(await sink.send(message(), live())).toEqual({ ok: true });
    const [request] = receiver.requests;
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      "x-webhook-delivery-id": "alr_01TEST_3",
      "x-webhook-event": "delivery.dead",
      "x-webhook-timestamp": String(t0 / 1000),
    });
    expect(request?.body.toString()).toBe(message().body);
    const checked = verify({
      scheme: "hookctl",
      body: request?.body as Buffer,
      headers: request?.headers as Record<string, string>,
      secrets: [secret],
      toleranceSeconds: 300,
      nowSeconds: t0 / 1000,
    });
    expect(checked.outcome).toBe("valid");
  });

  it("anything but 2xx is a failed try naming the status and the body's first line; no secret: unsigned", async () => {
    receiver = await startReceiver({ status: 503, body: "pager queue full\nretry later" });
    const sink = httpSink(`${receiver.url}?token=abc`, {
      secrets: [],
      attempt: createAttempt({ now: () => t0 }),
      now: () => t0,
      userAgent: "hookctl-test",
    });
    expect(sink.label).not.toContain("abc");
    expect(await sink.send(message(), live())).toEqual({ ok: false, error: "HTTP 503: pager queue full" });
    expect(receiver.requests[0]?.headers["x-signature"]).toBeUndefined();
  });
});
