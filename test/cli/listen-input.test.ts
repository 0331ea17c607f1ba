import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBindHost, isLoopbackHost } from "../../src/cli/bind.js";
import { UsageError } from "../../src/errors.js";
import { waitFor } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { tempDir } from "../helpers/tmp.js";

async function refused(args: string[]): Promise<string> {
  const dir = tempDir();
  const run = await runCli(["--db", join(dir, "h.db"), "listen", "--port", "0", ...args]);
  expect(run.code).toBe(2);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe("listen refuses what would silently weaken it", () => {
  it("an empty --host, which Node would read as every interface", async () => {
    expect(await refused(["--host", ""])).toMatch(
      /--host is empty, which would bind every network interface/,
    );
    expect(await refused(["--host", "  "])).toMatch(/--host is empty/);
  });

  it("0 for the slow-client timeouts", async () => {
    expect(await refused(["--header-timeout", "0"])).toMatch(/--header-timeout must be longer than 0/);
    expect(await refused(["--request-timeout", "0s"])).toMatch(/--request-timeout must be longer than 0/);
  });

  it("secrets that could never verify a request", async () => {
    expect(await refused(["--secret", ""])).toMatch(/secret #1 is empty/);
    expect(await refused(["--scheme", "standard", "--secret", "whsec_!!not base64!!"])).toMatch(
      /not a whsec_ secret.*\(scheme standard\)/,
    );
    expect(
      await refused(["--scheme", "github", "--secret", "s3cret", "--secret", `whsk_${"A".repeat(43)}=`]),
    ).toMatch(/secret #2 is an ed25519 key.*\(scheme github\)/);
  });

  it("announces a bind beyond loopback", async () => {
    const dir = tempDir();
    const readyFile = join(dir, "url");
    const controller = new AbortController();
    const done = runCli(
      ["--db", join(dir, "h.db"), "listen", "--port", "0", "--host", "0.0.0.0", "--ready-file", readyFile],
      { signal: controller.signal },
    );
    await waitFor(() => (existsSync(readyFile) ? true : undefined), 10_000, "listen to start");
    controller.abort();
    const run = await done;
    expect(run.stderr).toMatch(/bound to 0\.0\.0\.0: reachable from other machines/);
  });
});

describe("checkBindHost", () => {
  it("tells loopback from everything else", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["0.0.0.0", "::", "192.168.1.2", "example.test"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(checkBindHost(" 127.0.0.1 ")).toEqual({ host: "127.0.0.1", loopback: true });
    expect(() => checkBindHost("")).toThrow(UsageError);
  });
});
