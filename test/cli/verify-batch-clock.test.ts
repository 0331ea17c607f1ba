import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { sign } from "../../src/signing/index.js";
import { waitFor } from "../helpers/bin.js";
import { testContext } from "../helpers/context.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function line(body: string, timestamp: number): string {
  const { headers } = sign({
    scheme: "standard",
    body: Buffer.from(body),
    secrets: [secret],
    id: "m",
    timestamp,
  });
  return `${JSON.stringify({ headers, body })}\n`;
}

describe("verify --batch over a stream that outlives the tolerance", () => {
  it("judges each chunk at the time it arrives, not when the run began", async () => {
    const start = Date.UTC(2026, 0, 1);
    let clock = start;
    const { ctx, stdout } = testContext({ now: () => clock });
    const stdin = new PassThrough() as PassThrough & typeof ctx.stdin;
    stdin.isTTY = false;
    const done = run(["verify", "--batch", "--secret", secret], { ...ctx, stdin });
    stdin.write(line('{"n":1}', start / 1000));
    // Results are written in blocks; the first chunk has been judged once the run took it in.
    await waitFor(
      () => (stdin.readableLength === 0 && stdin.writableLength === 0 ? true : undefined),
      10_000,
      "the first chunk read",
    );
    // The producer signs its second message ten minutes later, well past the 5-minute tolerance.
    clock = start + 10 * 60_000;
    stdin.end(line('{"n":2}', clock / 1000));
    const code = await done;
    await new Promise((resolve) => setImmediate(resolve));
    const results = stdout()
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as { line: number; valid: boolean });
    expect(results.map((r) => [r.line, r.valid])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(code).toBe(0);
  });
});
