import { describe, expect, it } from "vitest";
import { isSensitiveHeader, maskUrl } from "../../src/contract/mask.js";
import { openDb } from "../../src/store/open.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { runCli } from "../helpers/context.js";
import { startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb } from "../helpers/tmp.js";

const password = "hunter2hunter2";
const token = "tok_abcdefghijkl";
const headerSecret = "pw-in-a-header-9876";

describe("one masking rule for every output and screen", () => {
  it("URL userinfo, credential query parameters and credential headers never print in full", async () => {
    const receiver = await startScriptedReceiver(() => ({ status: 410 }));
    try {
      const db = tempDb();
      const target = `${receiver.url.replace("http://", `http://user:${password}@`)}?token=${token}&page=2`;
      const sent = await runCli([
        "--db",
        db,
        "send",
        target,
        "--data",
        "{}",
        "-H",
        `X-Auth-Password: ${headerSecret}`,
        "-H",
        `Authorization: Bearer ${token}`,
      ]);
      expect(sent.code).toBe(1);
      const id = /dlv_\w+/.exec(sent.stdout)?.[0] as string;
      const outputs = [sent.stdout + sent.stderr];
      for (const argv of [
        ["log"],
        ["log", "--json"],
        ["log", "show", id],
        ["log", "show", id, "--json"],
        ["dlq", "list"],
        ["dlq", "list", "--json"],
        ["dlq", "show", id, "--json"],
      ]) {
        const run = await runCli(["--db", db, ...argv]);
        expect(run.code, argv.join(" ")).toBe(0);
        outputs.push(run.stdout + run.stderr);
      }
      const handle = openDb(db, { mustExist: true });
      outputs.push(JSON.stringify(createInspectStore(handle, Date.now).detail(id)));
      handle.close();
      for (const text of outputs) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(token);
        expect(text).not.toContain(headerSecret);
      }
      expect(outputs.join("\n")).toContain("page=2");
    } finally {
      await receiver.close();
    }
  });

  it("the rule itself", () => {
    expect(maskUrl("https://u:secretpass@example.test/h?api_key=abcdefgh&x=1#f")).toBe(
      "https://u:se…@example.test/h?api_key=ab…&x=1#f",
    );
    expect(maskUrl("http://127.0.0.1:3000/hooks")).toBe("http://127.0.0.1:3000/hooks");
    // A request target as a receiver captured it.
    expect(maskUrl("/hook?token=abcdefgh&x=1")).toBe("/hook?token=ab…&x=1");
    expect(maskUrl("http://onlytoken@host/")).toBe("http://on…@host/");
    for (const name of [
      "Authorization",
      "Cookie",
      "X-Auth-Password",
      "X-Api-Key",
      "api_key",
      "X-Session-Id",
      "X-Secret",
    ])
      expect(isSensitiveHeader(name), name).toBe(true);
    for (const name of ["X-Signature", "Stripe-Signature", "Content-Type", "X-Webhook-Delivery-ID"])
      expect(isSensitiveHeader(name), name).toBe(false);
  });
});

describe("short secrets", () => {
  it("are not searched for inside URLs, event types and header values (they occur there by chance)", async () => {
    const receiver = await startScriptedReceiver(() => ({ status: 200 }));
    try {
      const db = tempDb();
      const sent = await runCli([
        "--db",
        db,
        "send",
        `${receiver.url}/ok`,
        "--data",
        "{}",
        "--secret",
        "ok",
        "--event",
        "book.checked",
        "--json",
      ]);
      expect(sent.code).toBe(0);
      const delivery = JSON.parse(sent.stdout) as { url: string; event: { type: string } };
      expect(delivery.url).toBe(`${receiver.url}/ok`);
      expect(delivery.event.type).toBe("book.checked");
      const shown = await runCli([
        "--db",
        db,
        "log",
        "show",
        "--json",
        (JSON.parse(sent.stdout) as { id: string }).id,
      ]);
      expect(shown.stdout).toContain('"value":"book.checked"');
      expect(shown.stdout).toContain("hookctl/");
    } finally {
      await receiver.close();
    }
  });
});

describe("credentials in what the user typed", () => {
  it("are masked in confirmations and error lines too", async () => {
    const db = tempDb();
    const added = await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://user:PASSWORDXYZ@127.0.0.1:9/ok?token=QUERYTOKEN123",
    ]);
    expect(added.code).toBe(0);
    const bad = await runCli([
      "--db",
      db,
      "send",
      "http://u:LEAKPASS123@/x?token=LEAKTOKEN1",
      "--data",
      "{}",
    ]);
    expect(bad.code).toBe(2);
    const unknown = await runCli([
      "--db",
      db,
      "send",
      "u:LEAKPASS123@127.0.0.1:9/x?token=LEAKTOKEN1",
      "--data",
      "{}",
    ]);
    for (const text of [added.stdout + added.stderr, bad.stderr, unknown.stdout + unknown.stderr]) {
      for (const secret of ["PASSWORDXYZ", "QUERYTOKEN123", "LEAKPASS123", "LEAKTOKEN1"])
        expect(text).not.toContain(secret);
    }
  });
});
