import { readdirSync, readFileSync } from "node:fs";

/**
 * Sample events shipped in `fixtures/events/`: each file is the exact body, and its name
 * without `.json` is the event type (`order.created.json` is an `order.created` event).
 * The directory is found relative to this module, so it works from src/ (tests) and from
 * dist/ (an installed package) alike.
 */
export const defaultFixturesDir = new URL("../../fixtures/events/", import.meta.url);

export interface Fixture {
  /** The name `--fixture` takes, which is also the event type. */
  name: string;
  type: string;
  body: Buffer;
  contentType: string;
}

/** Fixture names, sorted. An unreadable or missing directory lists none. */
export function listFixtureNames(dir: URL = defaultFixturesDir): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

/** Every fixture with its event type and size, sorted by name. */
export function listFixtures(dir: URL = defaultFixturesDir): { name: string; type: string; bytes: number }[] {
  return listFixtureNames(dir).flatMap((name) => {
    const fixture = loadFixture(name, dir);
    return fixture ? [{ name, type: fixture.type, bytes: fixture.body.length }] : [];
  });
}

/** One fixture by name, or undefined when there is no such file. */
export function loadFixture(name: string, dir: URL = defaultFixturesDir): Fixture | undefined {
  // Names come from the command line: never let one walk out of the directory.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes("..")) return undefined;
  try {
    const body = readFileSync(new URL(`${name}.json`, dir));
    return { name, type: name, body, contentType: "application/json" };
  } catch {
    return undefined;
  }
}
