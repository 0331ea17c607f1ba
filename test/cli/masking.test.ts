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
