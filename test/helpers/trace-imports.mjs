// Preloaded with `node --import ./test/helpers/trace-imports.mjs`: registers a resolve hook that
// appends every resolved module URL to the file named by HOOKCTL_TRACE_IMPORTS, one per line.
import { register } from "node:module";

const file = process.env.HOOKCTL_TRACE_IMPORTS;
if (file) {
  register("./trace-imports-hook.mjs", { parentURL: import.meta.url, data: { file } });
}
