// Bundles the tsc output in dist/ into what the package ships in dist/app/.
//
// The CLI is CommonJS (*.cjs): Node 20 loads a CommonJS file several times faster than an ES
// module, and start-up is most of a `hookctl verify` in a CI loop (about 45 ms of 160). Each
// command's code stays in its own chunk, loaded with require() only when that command runs.
//
// The terminal UI is the exception: Ink is ESM-only (with top-level await), so it cannot be
// require()d on Node 20. `inspect`'s action is bundled separately as ES modules in dist/app/ui/
// and the CLI bundle loads it with import().

// Loaded from node_modules at run time by both bundles: native code, and undici (heavy to import,
// so only the commands that send load it). Everything else is bundled.
const external = ["better-sqlite3", "undici"];

/**
 * commander requires node:child_process at load for executable subcommands, which hookctl does
 * not use; loading it (with net and streams) is a tenth of start-up. Hand commander a stand-in
 * that requires the real module on first use.
 */
const lazyChildProcess = {
  name: "lazy-child-process",
  resolveId(source, importer) {
    if (source === "node:child_process" && importer?.includes("/node_modules/commander/")) {
      return "\0lazy-child-process";
    }
    return null;
  },
  load(id) {
    if (id !== "\0lazy-child-process") return null;
    return `let real;
module.exports = new Proxy({}, { get: (_, name) => (real ??= require("node:child_process"))[name] });`;
  },
};
/**
 * chalk sniffs the terminal when it loads (node:tty, node:os, argv, env): work and modules a plain
 * `verify` should not pay for, and a second opinion hookctl does not want. The CLI builds its chalk
 * with the level src/format/color.ts decided, so the sniffer is replaced by "no colour".
 */
const chalkSniffsNothing = {
  name: "chalk-sniffs-nothing",
  resolveId(source, importer) {
    if (source === "#supports-color" && importer?.includes("/node_modules/chalk/")) {
      return "\0chalk-sniffs-nothing";
    }
    return null;
  },
  load(id) {
    return id === "\0chalk-sniffs-nothing" ? "export default { stdout: false, stderr: false };" : null;
  },
};
/**
 * Ink turns itself off when it sees a CI variable: it draws nothing until the app exits. inspect
 * refuses to start without a terminal anyway, so a shell that exports CI (many container images
 * do, and CI runners running our e2e test) would get a blank screen. Ink in this bundle always
 * draws. react-devtools-core is imported by Ink only when DEV=true (its devtools mode); left out.
 */
const inkAlwaysDraws = {
  name: "ink-always-draws",
  resolveId(source) {
    if (source === "is-in-ci") return "\0not-in-ci";
    if (source === "react-devtools-core") return { id: source, external: true };
    return null;
  },
  load(id) {
    return id === "\0not-in-ci" ? "export default false;" : null;
  },
};
const isInspectAction = (id) => /(^|\/)actions\/inspect\.js$/.test(id);

export default [
  {
    input: { main: "dist/cli/main.js" },
    platform: "node",
    external: (id) => external.includes(id) || isInspectAction(id),
    plugins: [lazyChildProcess, chalkSniffsNothing],
    logLevel: "warn",
    output: {
      dir: "dist/app",
      // Chunk names carry content hashes: without this, stale chunks of earlier builds pile up.
      cleanDir: true,
      format: "cjs",
      entryFileNames: "[name].cjs",
      chunkFileNames: "[name]-[hash].cjs",
      minify: { mangle: false, compress: false },
      // Kept as import(): the only way to load an ES module from CommonJS.
      dynamicImportInCjs: true,
      paths: (id) => (isInspectAction(id) ? "./ui/inspect.mjs" : id),
    },
  },
  {
    input: { inspect: "dist/cli/actions/inspect.js" },
    platform: "node",
    // Ink, React and their few dozen small modules are bundled in: resolving and linking each
    // as its own ES module was a fifth of inspect's start.
    external,
    plugins: [inkAlwaysDraws],
    transform: { define: { "process.env.NODE_ENV": '"production"' } },
    logLevel: "warn",
    output: {
      dir: "dist/app/ui",
      format: "esm",
      entryFileNames: "[name].mjs",
      chunkFileNames: "[name]-[hash].mjs",
    },
  },
];
