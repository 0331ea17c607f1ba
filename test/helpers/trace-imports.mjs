// Preloaded with `node --import ./test/helpers/trace-imports.mjs`: appends every module the
// process loads to the file named by HOOKCTL_TRACE_IMPORTS, one URL per line. ES modules go
// through a resolve hook; require() (the CLI bundle is CommonJS) through Module._resolveFilename.
import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

const file = process.env.HOOKCTL_TRACE_IMPORTS;
if (file) {
  register("./trace-imports-hook.mjs", { parentURL: import.meta.url, data: { file } });
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function traced(request, ...rest) {
    const resolved = resolveFilename.call(this, request, ...rest);
    appendFileSync(file, `${isAbsolute(resolved) ? pathToFileURL(resolved).href : resolved}\n`);
    return resolved;
  };
}
