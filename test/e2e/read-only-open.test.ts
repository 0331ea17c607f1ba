import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runBin } from "../helpers/bin.js";
import { okReceiver, type Receiver } from "../helpers/receivers.js";
import { tempDir } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const hint = "check --db / HOOKCTL_DB, or create one with hookctl send or hookctl endpoint add";

const readOnly: string[][] = [
  ["log"],
  ["log", "show", "dlv_01JD0000000000000000000001"],
  ["log", "received"],
  ["log", "received", "show", "rcv_01JD0000000000000000000001"],
  ["dlq", "list"],
  ["dlq", "show", "dlv_01JD0000000000000000000001"],
  ["endpoint", "list"],
  ["endpoint", "show", "orders"],
];

describe("commands that only read never create the log (built binary)", () => {
  it.each(readOnly.map((args) => [args.join(" "), args] as const))(
    "%s on a missing log: exit 2, one line naming it, nothing created",
    async (_name, args) => {
      const dir = tempDir();
      const path = join(dir, "missing", "typo.bd");
      const result = await runBin(["--db", path, ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(`hookctl: no delivery log at ${path} — ${hint}\n`);
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it("with --json the same error is one JSON object on stderr", async () => {
    const dir = tempDir();
    const path = join(dir, "missing", "typo.bd");
    const result = await runBin(["--json", "--db", path, "log"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({
      error: { message: `no delivery log at ${path}`, hint, exitCode: 2 },
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("takes the path from HOOKCTL_DB just the same", async () => {
    const dir = tempDir();
    const path = join(dir, "state", "hookctl", "hookctl.db");
    const result = await runBin(["log"], { env: { HOOKCTL_DB: path } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`hookctl: no delivery log at ${path} — ${hint}\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("inspect without a terminal: exit 2, one line, nothing created", async () => {
    const dir = tempDir();
    const result = await runBin(["--db", join(dir, "missing", "typo.bd"), "inspect"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("send and endpoint add still create the log and its directories, mode 0600", async () => {
    receiver = await okReceiver();
    const dir = tempDir();
    const sentTo = join(dir, "a", "b", "hookctl.db");
    const sent = await runBin(["--db", sentTo, "send", receiver.url, "--data", "{}"]);
    expect(sent.code).toBe(0);
    expect(statSync(sentTo).mode & 0o777).toBe(0o600);

    const addedTo = join(dir, "c", "d", "hookctl.db");
    const added = await runBin(["--db", addedTo, "endpoint", "add", "orders", "--url", receiver.url]);
    expect(added.code).toBe(0);
    expect(statSync(addedTo).mode & 0o777).toBe(0o600);

    // And once a log exists, the readers read it.
    const listed = await runBin(["--db", addedTo, "endpoint", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("orders");
    expect(existsSync(join(dir, "c", "d"))).toBe(true);
  });
});
