#!/usr/bin/env node
// Runs every test/bench/*.bench.js and prints one table of ratios measured in this same run.
// Usage: npm run bench [-- --quick] [-- --json <file>] [-- --only <name>]
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonIndex = args.indexOf("--json");
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

const dir = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(dir)
  .filter((name) => name.endsWith(".bench.js"))
  .filter((name) => !only || name.startsWith(only))
  .sort();

const rows = [];
for (const file of files) {
  const area = file.replace(/\.bench\.js$/, "");
  process.stderr.write(`bench: ${area}…\n`);
  const started = performance.now();
  try {
    const module = await import(new URL(file, import.meta.url).href);
    const result = await module.default({ quick });
    for (const row of result) rows.push({ area, ...row });
  } catch (error) {
    rows.push({
      area,
      name: "(bench failed)",
      value: "",
      baseline: "",
      ratio: Number.NaN,
      target: "",
      met: false,
      note: String(error?.stack ?? error),
    });
  }
  process.stderr.write(`bench: ${area} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  // The gigabyte the memory area writes is still being flushed when the next area starts: its
  // fsyncs can wait behind that flush (relay's p99 read 109 ms once right after it, 7 ms alone).
  spawnSync("sync");
}

const header = ["area", "measured", "value", "baseline", "ratio", "target", "met"];
const table = rows.map((row) => [
  row.area,
  row.name,
  String(row.value),
  String(row.baseline),
  Number.isFinite(row.ratio) ? row.ratio.toFixed(2) : "-",
  row.target,
  row.target === "report" ? "-" : row.met ? "yes" : "NO",
]);
const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i].length)));
const format = (cells) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(format(header));
console.log(format(widths.map((width) => "-".repeat(width))));
for (const cells of table) console.log(format(cells));
const notes = rows.filter((row) => row.note);
if (notes.length > 0) {
  console.log("\nnotes:");
  for (const row of notes) console.log(`- ${row.area} / ${row.name}: ${row.note}`);
}
// Report-only rows (target "report") inform; they are not targets.
const targets = rows.filter((row) => row.target !== "report");
const met = targets.filter((row) => row.met).length;
console.log(`\n${met} of ${targets.length} targets met${quick ? " (quick run)" : ""}`);
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ quick, rows }, null, 2)}\n`);
