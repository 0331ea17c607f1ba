import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The version in package.json (two levels up from both src/cli and dist/cli). */
export function packageVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
