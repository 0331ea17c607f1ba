import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { listAttempts } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { runCli, testContext } from "../helpers/context.js";
import { emptyLog } from "../helpers/empty-log.js";
import { startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { fakeTerminal } from "../helpers/terminal.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDead, seedDelivery } from "../tui/seed.js";

const message = "hookctl inspect needs an interactive terminal; try hookctl dlq list --json";

describe("hookctl inspect", () => {
  it("refuses a non-terminal stdout with exit 2 and one line, before touching the log", async () => {
    const db = tempDb();
    const result = await runCli(["--db", db, "inspect"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`hookctl: ${message}\n`);
    expect(existsSync(db)).toBe(false);
  });

  it("refuses a non-terminal stdin too (input piped in)", async () => {
    const { ctx, stderr } = testContext({ stdin: "q" });
    ctx.stdout.isTTY = true;
    const code = await run(["--db", tempDb(), "inspect"], ctx);
    await new Promise((resolve) => setImmediate(resolve));
    expect(code).toBe(2);
    expect(stderr()).toContain(message);
  });

  it("rejects an unknown --status with exit 2", async () => {
    const result = await runCli(["inspect", "--status", "zombie"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^hookctl: option '--status <status>' argument 'zombie' is invalid/);
  });

  it("documents its keys, flags and examples in --help", async () => {
    const result = await runCli(["inspect", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--status <status>");
    expect(result.stdout).toContain("--filter <text>");
    expect(result.stdout).toContain("Examples:");
    expect(result.stdout).toContain("r  retry now: requeue and send at once");
    expect(result.stdout).toContain("R  requeue only");
    expect(result.stdout).toContain("only y confirms");
  });
});

describe("hookctl inspect in a terminal", () => {
  const terminal = () => fakeTerminal(100, 30);

  async function untilShown(stdout: () => string, text: string) {
    await waitFor(() => (stdout().includes(text) ? true : undefined), 10_000, text);
  }

  it("draws the dead letters on the alternate screen and exits 0 on q, restoring the screen", async () => {
    const path = tempDb();
    const db = openDb(path);
    seedDead(db, 3);
    db.close();
    const { ctx, stdin, stdout } = terminal();
    const running = run(["--db", path, "inspect"], ctx);
    await untilShown(stdout, "q quit");
    expect(stdout()).toContain("[Dead 3]");
    expect(stdout()).toContain("order.created.2");
    stdin.write("q");
    expect(await running).toBe(0);
    expect(stdout().startsWith("\u001B[?1049h")).toBe(true);
    expect(stdout().endsWith("\u001B[?1049l")).toBe(true);
  });

  it("r sends the selected dead letter through replay's transport and records it; q then exits 0", async () => {
    const receiver = await startScriptedReceiver(() => ({ status: 200 }));
    try {
      const path = tempDb();
      const db = openDb(path);
      seedDead(db, 2);
      const id = seedDelivery(db, { url: receiver.url, type: "retry.me", agoMs: 0 });
      db.close();
      const { ctx, stdin, stdout } = terminal();
      const running = run(["--db", path, "inspect"], ctx);
      await untilShown(stdout, "retry.me");
      stdin.write("r");
      await untilShown(stdout, "succeeded");
      stdin.write("q");
      expect(await running).toBe(0);
      expect(receiver.count(id)).toBe(1);
      const check = openDb(path);
      expect(listAttempts(check, id).map((a) => a.trigger)).toEqual(["initial", "manual"]);
      check.close();
    } finally {
      await receiver.close();
    }
  });

  it("exits 130 on Ctrl+C and on SIGINT", async () => {
    const path = emptyLog();
    const first = terminal();
    const running = run(["--db", path, "inspect", "--status", "all"], first.ctx);
    await untilShown(first.stdout, "The log is empty");
    first.stdin.write("\u0003");
    expect(await running).toBe(130);

    const controller = new AbortController();
    const second = terminal();
    second.ctx.signal = controller.signal;
    const again = run(["--db", path, "inspect"], second.ctx);
    await untilShown(second.stdout, "q quit");
    controller.abort();
    expect(await again).toBe(130);
  });
});
