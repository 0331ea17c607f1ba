import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { oneLine } from "../../src/cli/one-line.js";
import { runBin } from "../helpers/bin.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

/** One line on stderr: printable, short, ending in a newline, whatever the input was. */
function expectCleanLine(stderr: string, label: string) {
  expect(stderr.endsWith("\n"), label).toBe(true);
  const line = stderr.slice(0, -1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
  expect(line, label).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(line.length, label).toBeLessThan(700);
  expect(line, label).toMatch(/^hookctl: /);
}

describe("error messages stay one clean line, whatever they quote", () => {
  it("a binary --headers-file, payload path or secret file", async () => {
    const dir = tempDir();
    const binary = join(dir, "headers.bin");
    // Every byte value, ESC sequences, CR/LF and a NUL, twice over.
    writeFileSync(
      binary,
      Buffer.concat([
        Buffer.from("X-Signature: \u001b[2J\r\nEvil: 1\u0000\n"),
        randomBytes(4096),
        Buffer.from([...Array(256).keys()]),
      ]),
    );
    const cases: [string, string[]][] = [
      ["headers file", ["verify", "--data", "x", "--secret", "s", "--headers-file", binary]],
      ["secret file", ["sign", "--data", "x", "--scheme", "standard", "--secret-file", binary]],
      ["payload path", ["sign", `no\u001b[31mfile\nhere${"x".repeat(5000)}`, "--secret", "s"]],
    ];
    for (const [label, argv] of cases) {
      const result = await runBin(argv);
      expect(result.code, `${label}: ${result.stderr}`).toBeGreaterThanOrEqual(1);
      expectCleanLine(result.stderr, label);
    }
  });

  it("a huge or escape-laden id, and a huge flag value commander quotes", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    await runBin(["send", "http://127.0.0.1:9/", "--data", "x", "--retries", "0"], { env });
    const cases: [string, string[]][] = [
      ["log show", ["log", "show", "x".repeat(100_000)]],
      ["dlq show", ["dlq", "show", `\u001b[2J\u001b]0;pwned\u0007${"y".repeat(3000)}`]],
      ["--limit", ["log", "--limit", "9".repeat(100_000)]],
      ["--event", ["log", "--event", `a\u001b[31m${"b".repeat(60_000)}`]],
    ];
    for (const [label, argv] of cases) {
      const result = await runBin(argv, { env });
      expect(result.code, label).toBe(2);
      expectCleanLine(result.stderr, label);
    }
  });
});

describe("oneLine", () => {
  it("escapes controls, cuts long runs in the middle and caps the whole", () => {
    expect(oneLine("bad \u001b[2J\r\nvalue\u0000\u009b\u202e")).toBe(
      "bad \\x1b[2J\\r\\nvalue\\x00\\x9b\\u202e",
    );
    const cut = oneLine(`no delivery "${"x".repeat(1000)}end" in the log`);
    expect(cut).toMatch(/^no delivery "x+…x*end" in the log$/);
    expect(cut.length).toBeLessThan(120);
    expect(oneLine("word ".repeat(1000)).length).toBeLessThanOrEqual(400);
    // A pair of surrogates (an emoji) is never split; a lone one is escaped.
    expect(oneLine("😀".repeat(200))).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
    expect(oneLine("a\ud800b")).toBe("a\\ud800b");
    expect(oneLine("plain message — with a hint")).toBe("plain message — with a hint");
  });
});
