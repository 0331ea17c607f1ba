import { afterEach, describe, expect, it } from "vitest";
import { capturedRequest, logWith } from "../helpers/captured.js";
import { runCli } from "../helpers/context.js";
import { okReceiver, type Receiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

const body = String.raw`{"id":12345678901234567890,"price":1.0,"name":"caf\u00e9","n":1,"n":2}`;
const indented = [
  "{",
  '  "id": 12345678901234567890,',
  '  "price": 1.0,',
  String.raw`  "name": "caf\u00e9",`,
  '  "n": 1,',
  '  "n": 2',
  "}",
];

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("bodies are shown as stored", () => {
  it("log show re-indents JSON without changing a number, escape or duplicate key", async () => {
    receiver = await okReceiver();
    const db = tempDb();
    const sent = await runCli(["--db", db, "--json", "send", receiver.url, "--data", body]);
    expect(sent.code).toBe(0);
    const id = (JSON.parse(sent.stdout.trim().split("\n")[0] as string) as { id: string }).id;

    const shown = await runCli(["--db", db, "log", "show", id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(indented.map((line) => `  ${line}`).join("\n"));
    expect(shown.stdout).not.toContain("12345678901234567000");
  });

  it("log received show does the same for a captured request", async () => {
    const path = logWith(
      capturedRequest({
        id: "rcv_01JD0000000000000000000001",
        headers: [["Content-Type", "application/json"]],
        body: Buffer.from(body),
        durationMs: 1.5,
      }),
    );

    const shown = await runCli(["--db", path, "log", "received", "show", "rcv_01JD0000000000000000000001"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(indented.map((line) => `    ${line}`).join("\n"));
  });
});
