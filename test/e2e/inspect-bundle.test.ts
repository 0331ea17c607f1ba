import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CliContext } from "../../src/cli/context.js";
import type { GlobalOptions } from "../../src/cli/output.js";
import { openDb } from "../../src/store/open.js";
import { waitFor } from "../helpers/bin.js";
import { fakeTerminal } from "../helpers/terminal.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDead } from "../tui/seed.js";

type RunInspect = (options: { status: string }, globals: GlobalOptions, ctx: CliContext) => Promise<number>;

// The shipped UI is its own ES-module bundle with Ink and React inside (the CLI bundle is
// CommonJS and loads it with import()). The source is tested in test/cli and test/tui; this runs
// the built bundle itself, as `hookctl inspect` does, in a fake 100×30 terminal.
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the built inspect bundle", () => {
  it("draws the dead letters from a real log and quits on q, even where CI is set", async () => {
    // Ink reads CI when it loads and then draws nothing until exit; the bundle must not.
    vi.stubEnv("CI", "true");
    const bundle = new URL("../../dist/app/ui/inspect.mjs", import.meta.url).href;
    const { runInspect } = (await import(bundle)) as { runInspect: RunInspect };
    const path = tempDb();
    const db = openDb(path);
    seedDead(db, 3);
    db.close();

    const { ctx, stdin, stdout } = fakeTerminal(100, 30);
    const running = runInspect({ status: "dead" }, { db: path }, ctx);
    await waitFor(() => (stdout().includes("q quit") ? true : undefined), 10_000, "the first frame");
    expect(stdout()).toContain("[Dead 3]");
    expect(stdout()).toContain("order.created.2");
    stdin.write("q");
    expect(await running).toBe(0);
  });

  it("loads the PostgreSQL driver only on import(), never with the bundle: a SQLite log never loads it", () => {
    const dir = new URL("../../dist/app/ui/", import.meta.url);
    // The chunks the bundle loads as it starts: its static imports, and theirs.
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const source = readFileSync(new URL(file, dir), "utf8");
      for (const match of source.matchAll(/^import (?:[^"';]* from )?"\.\/([^"]+)";?$/gm))
        visit(match[1] as string);
    };
    visit("inspect.mjs");
    const driver = [...loaded].filter((file) =>
      readFileSync(new URL(file, dir), "utf8").includes("node_modules/pg-protocol/"),
    );
    expect(loaded.size).toBeGreaterThan(1);
    expect(driver).toEqual([]);
    // …while the driver is there, for a postgres:// log.
    const bundled = readFileSync(new URL("inspect.mjs", dir), "utf8");
    expect(bundled).toMatch(/import\("\.\/connect-[^"]+\.mjs"\)/);
  });
});
