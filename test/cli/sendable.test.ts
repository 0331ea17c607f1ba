import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unsendableReason } from "../../src/delivery/header-value.js";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";

/** `send` with these extra arguments is refused in one line, exit 2, before anything is stored. */
async function refusedBeforeStoring(extra: string[]): Promise<string> {
  const db = tempDb();
  const run = await runCli(["--db", db, "send", "http://127.0.0.1:9/hook", "--data", "{}", ...extra]);
  expect(run.code).toBe(2);
  expect(existsSync(db)).toBe(false);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe("headers that could never be sent are refused before anything is stored", () => {
  it("framing and hop-by-hop headers", async () => {
    for (const name of [
      "Content-Length",
      "Transfer-Encoding",
      "Connection",
      "Upgrade",
      "Expect",
      "Host",
      "TE",
    ]) {
      expect(await refusedBeforeStoring(["-H", `${name}: x`])).toMatch(new RegExp(`-H cannot set ${name}`));
    }
  });

  it("values with line breaks, control characters or beyond Latin-1", async () => {
    expect(await refusedBeforeStoring(["-H", "X-A: one\r\nX-Evil: 1"])).toMatch(
      /-H X-A contains a line break/,
    );
    expect(await refusedBeforeStoring(["-H", "X-A: \u0007"])).toMatch(/control character U\+0007/);
    expect(await refusedBeforeStoring(["-H", "X-A: 日本"])).toMatch(/U\+65E5, which a header cannot carry/);
  });

  it("event types, which go out as X-Webhook-Event", async () => {
    expect(await refusedBeforeStoring(["--event", "order.created\nX-Evil: 1"])).toMatch(
      /--event contains a line break/,
    );
    expect(await refusedBeforeStoring(["--event", "注文"])).toMatch(/--event contains U\+6CE8/);
    expect(await refusedBeforeStoring(["--event", " "])).toMatch(/--event is empty/);
  });

  it("sign --id cannot inject a header line", async () => {
    const run = await runCli(["sign", "--data", "{}", "--secret", "s", "--id", "a\r\nX-Evil: 1"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/--id contains a line break/);
  });

  it("names a character beyond the Basic Multilingual Plane by its code point, not half of it", () => {
    expect(unsendableReason("party 🎉")).toMatch(/contains U\+1F389,/);
    expect(unsendableReason("€")).toMatch(/contains U\+20AC,/);
  });

  it("Latin-1 text and tabs are fine", () => {
    expect(unsendableReason("café\tok")).toBeUndefined();
    expect(unsendableReason("Bearer abc.def")).toBeUndefined();
  });
});
