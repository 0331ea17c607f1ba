import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The version in package.json (two levels up from src/cli, dist/cli and dist/app; three from dist/app/ui). */
export function packageVersion(): string {
  const root = import.meta.url.includes("/dist/app/ui/") ? "../../../" : "../../";
  cached ??= (
    JSON.parse(readFileSync(new URL(`${root}package.json`, import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
