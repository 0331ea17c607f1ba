import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { runBin } from "../helpers/bin.js";
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

async function traced(args: string[], input?: string) {
  const file = join(tempDir(), "imports.txt");
  const result = await runBin(args, {
    input,
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

  const cases: [string, string[], string | undefined, number][] = [
    ["sign", ["sign", "--data", body, "--secret", "whsec_AAAA", "--scheme", "standard"], undefined, 0],
    ["verify", ["verify", "--secret", "whsec_AAAA", "--tolerance", "0", ...headerFlags], body, 0],
    [
      "verify --batch",
      ["verify", "--batch", "--secret", "whsec_AAAA", "--tolerance", "0"],
      JSON.stringify({ headers, body }),
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
});
