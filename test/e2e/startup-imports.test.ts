import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { runBin } from "../helpers/bin.js";
import { capturedRequest, logWith } from "../helpers/captured.js";
import { tempDir } from "../helpers/tmp.js";

// Start-up is part of the product: `sign`, `verify` and help must not load the UI, HTTP or
// SQLite stacks. A module resolve hook (test/helpers/trace-imports*.mjs) logs every module
// the real binary resolves.
const hook = fileURLToPath(new URL("../helpers/trace-imports.mjs", import.meta.url));
const heavy = ["ink", "react", "undici", "better-sqlite3"];

function heavyIn(urls: string[]): string[] {
  return urls.filter((url) =>
    heavy.some(
      (name) => url === name || url.includes(`/node_modules/${name}/`) || url.startsWith(`${name}/`),
    ),
  );
}

async function traced(args: string[], input?: string, cwd?: string) {
  const file = join(tempDir(), "imports.txt");
  const result = await runBin(args, {
    input,
    cwd,
    env: { NODE_OPTIONS: `--import=${hook}`, HOOKCTL_TRACE_IMPORTS: file },
  });
  const urls = readFileSync(file, "utf8").split("\n").filter(Boolean);
  return { result, urls };
}

const body = '{"type":"order.created"}';
const headers = sign({
  scheme: "standard",
  body: Buffer.from(body),
  secrets: ["whsec_AAAA"],
  id: "m",
  timestamp: 1,
}).headers;
const headerFlags = Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);

describe("start-up imports", () => {
  it("the tracer sees heavy packages when they are loaded (control)", () => {
    const file = join(tempDir(), "imports.txt");
    const run = spawnSync(
      process.execPath,
      ["--import", hook, "--input-type=module", "-e", "import 'undici';"],
      {
        env: { ...process.env, HOOKCTL_TRACE_IMPORTS: file },
      },
    );
    expect(run.status).toBe(0);
    expect(heavyIn(readFileSync(file, "utf8").split("\n"))).not.toEqual([]);
  });

  it("the tracer sees heavy packages loaded with require() too (control: the CLI bundle is CommonJS)", () => {
    const file = join(tempDir(), "imports.txt");
    const run = spawnSync(process.execPath, ["--import", hook, "-e", "require('undici');"], {
      env: { ...process.env, HOOKCTL_TRACE_IMPORTS: file },
    });
    expect(run.status).toBe(0);
    expect(heavyIn(readFileSync(file, "utf8").split("\n"))).not.toEqual([]);
  });

  // Lives for the whole describe (tempDir's are removed after each test).
  const headersDir = mkdtempSync(join(tmpdir(), "hookctl-imports-"));
  afterAll(() => rmSync(headersDir, { recursive: true, force: true }));
  writeFileSync(join(headersDir, "headers.json"), JSON.stringify(headers));
  const headersFile = join(headersDir, "headers.json");

  const cases: [string, string[], string | undefined, number][] = [
    ["sign", ["sign", "--data", body, "--secret", "whsec_AAAA", "--scheme", "standard"], undefined, 0],
    ["verify", ["verify", "--secret", "whsec_AAAA", "--tolerance", "0", ...headerFlags], body, 0],
    [
      "verify --batch",
      ["verify", "--batch", "--secret", "whsec_AAAA", "--tolerance", "0"],
      JSON.stringify({ headers, body }),
      0,
    ],
    [
      "verify --headers-file headers.json (loads zod)",
      ["verify", "--secret", "whsec_AAAA", "--tolerance", "0", "--headers-file", headersFile],
      body,
      0,
    ],
    ["--help", ["--help"], undefined, 0],
    ["sign --help", ["sign", "--help"], undefined, 0],
    ["verify --help", ["verify", "--help"], undefined, 0],
    ["secret generate", ["secret", "generate"], undefined, 0],
  ];

  for (const [name, args, input, code] of cases) {
    it(`hookctl ${name} loads none of ${heavy.join(", ")}`, async () => {
      const { result, urls } = await traced(args, input);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(code);
      // The trace really ran: the bundle's entry and the command's own chunk were resolved.
      expect(urls.some((url) => url.endsWith("/dist/app/main.cjs"))).toBe(true);
      expect(
        urls.some((url) => /\/dist\/app\/(sign|verify|secret)-[\w-]+\.cjs$/.test(url)) ||
          name.includes("help"),
      ).toBe(true);
      expect(heavyIn(urls)).toEqual([]);
      // Chunks are named after their first module: store/open.ts and the Ink app stay unloaded.
      expect(urls.filter((url) => /\/dist\/app\/(open|inspect|App)-|\/dist\/app\/ui\//.test(url))).toEqual(
        [],
      );
    });
  }

  it("plain verify leaves zod unloaded; a JSON headers file loads it (chunks named after zod's schemas.js)", async () => {
    const zodChunk = (urls: string[]) => urls.some((url) => /\/dist\/app\/schemas-[\w-]+\.cjs$/.test(url));
    const plain = await traced(
      ["verify", "--secret", "whsec_AAAA", "--tolerance", "0", ...headerFlags],
      body,
    );
    expect(plain.result.code).toBe(0);
    expect(zodChunk(plain.urls)).toBe(false);
    const json = await traced(
      ["verify", "--secret", "whsec_AAAA", "--tolerance", "0", "--headers-file", headersFile],
      body,
    );
    expect(json.result.code).toBe(0);
    expect(zodChunk(json.urls)).toBe(true);
  });

  it("hookctl verify --received is the one verify path that loads SQLite", async () => {
    const db = logWith(
      capturedRequest({
        id: "rcv_01JD000000000000000TRACE01",
        headers: Object.entries(headers),
        body: Buffer.from(body),
      }),
    );
    const { result, urls } = await traced([
      "--db",
      db,
      "verify",
      "--received",
      "TRACE01",
      "--secret",
      "whsec_AAAA",
      "--tolerance",
      "0",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(heavyIn(urls).some((url) => url.includes("/node_modules/better-sqlite3/"))).toBe(true);
    expect(heavyIn(urls).filter((url) => !url.includes("/node_modules/better-sqlite3/"))).toEqual([]);
  });
});
