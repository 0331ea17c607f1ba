import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;

describe("the npm package", () => {
  it("packs without tests, installs into an empty directory and runs from there", () => {
    const packDir = tempDir();
    // `npm test` has just built dist/; skip prepare so packing does not build twice.
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], {
        cwd: root,
        encoding: "utf8",
      }),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]?.files.map((file) => file.path) ?? [];
    expect(files).toContain("bin/hookctl.js");
    expect(files).toContain("bin/package.json");
    expect(files).toContain("dist/app/main.cjs");
    expect(files).toContain("dist/app/ui/inspect.mjs");
    expect(files).toContain("fixtures/events/order.created.json");
    expect(files.filter((path) => path.startsWith("test/") || path.startsWith("src/"))).toEqual([]);

    const app = tempDir();
    // Its own package.json, or npm would install into whichever parent directory has one.
    writeFileSync(join(app, "package.json"), '{"name": "hookctl-install-check", "private": true}\n');
    // --ignore-scripts: better-sqlite3 would compile for two minutes, and neither --version nor
    // sign loads it (the start-up test proves that).
    execFileSync(
      "npm",
      [
        "install",
        join(packDir, packed[0]?.filename ?? ""),
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
      ],
      { cwd: app, encoding: "utf8", stdio: "pipe" },
    );
    const bin = join(app, "node_modules", ".bin", "hookctl");
    expect(execFileSync(bin, ["--version"], { encoding: "utf8" }).trim()).toBe(version);
    const signed = execFileSync(
      bin,
      ["sign", "--data", "Hello, World!", "--secret", "It's a Secret to Everybody", "--scheme", "github"],
      {
        encoding: "utf8",
      },
    );
    expect(signed.trim()).toBe(
      "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
    const fixtures = execFileSync(bin, ["completion", "--list", "fixtures"], { encoding: "utf8" });
    expect(fixtures).toContain("order.created");
    // The terminal UI is a separate ES-module bundle: it must resolve Ink and React from the install.
    const ui = join(app, "node_modules", "hookctl", "dist", "app", "ui", "inspect.mjs");
    const loaded = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(ui)}); console.log(typeof m.runInspect);`,
      ],
      { encoding: "utf8" },
    );
    expect(loaded.trim()).toBe("function");
  }, 180_000);
});
