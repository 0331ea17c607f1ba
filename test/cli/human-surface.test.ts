import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../src/config/duration.js";
import { defaultPolicy } from "../../src/delivery/policy.js";
import { openDb } from "../../src/store/open.js";
import { runCli } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";
import { seedDelivery } from "../tui/seed.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is stripped
const stripAnsi = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, "");

const commands = [
  ["sign"],
  ["verify"],
  ["secret"],
  ["secret", "generate"],
  ["send"],
  ["replay"],
  ["log"],
  ["log", "show"],
  ["log", "received"],
  ["log", "received", "show"],
  ["dlq"],
  ["dlq", "list"],
  ["dlq", "show"],
  ["dlq", "requeue"],
  ["dlq", "purge"],
  ["inspect"],
  ["listen"],
  ["endpoint"],
  ["endpoint", "add"],
  ["endpoint", "list"],
  ["endpoint", "show"],
  ["endpoint", "set"],
  ["endpoint", "rm"],
  ["endpoint", "rotate-secret"],
  ["backoff"],
  ["demo"],
  ["schema"],
  ["completion"],
];

async function help(...command: string[]): Promise<string> {
  const result = await runCli([...command, "--help"]);
  expect(result.code).toBe(0);
  return result.stdout;
}

describe("help tells the truth", () => {
  it.each(commands.map((command) => [command.join(" "), command]))(
    "%s --help has examples and no default in raw milliseconds",
    async (_, command) => {
      const text = await help(...(command as string[]));
      // completion's help shows how to install it, which is its example.
      expect(text).toMatch(command[0] === "completion" ? /Install/ : /Examples:/);
      expect(text).not.toMatch(/\(default:? \d{4,}\)/);
    },
  );

  it("shows duration defaults as they are typed", async () => {
    expect(await help("verify")).toMatch(/--tolerance <duration>[\s\S]*\(default: 5m\)/);
    const listen = await help("listen");
    expect(listen).toMatch(/--tolerance <duration>[\s\S]*\(default: 5m\)/);
    expect(listen).toMatch(/--header-timeout <duration>[\s\S]*\(default: 10s\)/);
    expect(listen).toMatch(/--request-timeout <duration>[\s\S]*\(default: 30s\)/);
    expect(await help("endpoint", "rotate-secret")).toMatch(/--grace <duration>[\s\S]*\(default: 24h\)/);
    expect(await help("endpoint", "add")).toMatch(/--timeout <duration>[\s\S]*\(default: 10s\)/);
  });

  it("builds the retry-policy defaults from the default policy", async () => {
    for (const command of [["send"], ["replay"], ["endpoint", "add"], ["backoff"]]) {
      const text = (await help(...command)).replace(/\s+/g, " ");
      expect(text).toContain(`dead (default: ${defaultPolicy.retries})`);
      expect(text).toContain(`first retry (default: ${formatDuration(defaultPolicy.initialMs)})`);
      expect(text).toContain(`any one delay (default: ${formatDuration(defaultPolicy.maxDelayMs)})`);
      expect(text).toContain(`[1-j, 1+j] (default: ${defaultPolicy.jitter})`);
    }
    expect(await help("backoff")).toContain(
      "# the defaults: 10 retries, 1s to 1h ×2.48 (derived), jitter 20%",
    );
  });
});

describe("endpoint show", () => {
  it("prints the retry policy in words, never as raw JSON", async () => {
    const db = tempDb();
    const url = "http://127.0.0.1:9/";
    await runCli(["--db", db, "endpoint", "add", "tuned", "--url", url, "--retries", "3", "--factor", "2"]);
    await runCli(["--db", db, "endpoint", "add", "plain", "--url", url]);
    const tuned = await runCli(["--db", db, "endpoint", "show", "tuned"]);
    expect(tuned.stdout).toMatch(/^ {2}policy {6}3 retries, 1s to 1h ×2\.00, jitter 20%$/m);
    expect(tuned.stdout).not.toMatch(/[{}"]/);
    const plain = await runCli(["--db", db, "endpoint", "show", "plain"]);
    expect(plain.stdout).toMatch(
      /^ {2}policy {6}10 retries, 1s to 1h ×2\.48 \(derived\), jitter 20% \(the defaults\)$/m,
    );
  });
});

describe("lists are tables", () => {
  const events = ["注文.作成", "🎉.party", "order.created"];

  /** The display column where the cell after `event` starts, on each row naming one of `events`. */
  function nextCellColumns(rows: readonly string[]): number[] {
    return events.map((event) => {
      const line = rows.find((candidate) => candidate.includes(` ${event} `)) as string;
      const end = line.indexOf(event) + event.length;
      return stringWidth(line.slice(0, end + line.slice(end).search(/\S/)));
    });
  }

  it.each([
    ["log", ["log"], "result"],
    ["dlq list", ["dlq", "list"], "endpoint/url"],
    ["dlq purge --dry-run", ["dlq", "purge", "--all", "--dry-run"], "endpoint/url"],
    ["dlq requeue --dry-run", ["dlq", "requeue", "--all", "--dry-run"], "endpoint"],
  ])(
    "%s lines up wide event types (CJK, emoji) by display width, with or without colour",
    async (_, argv, next) => {
      const path = tempDb();
      const db = openDb(path);
      for (const type of events) seedDelivery(db, { type, status: "dead" });
      db.close();
      for (const env of [{}, { NO_COLOR: undefined, FORCE_COLOR: "1" }]) {
        const result = await runCli(["--db", path, ...argv], { env });
        expect(result.code).toBe(0);
        const [header = "", ...rows] = stripAnsi(result.stdout).trimEnd().split("\n");
        expect(rows).toHaveLength(3);
        const at = stringWidth(header.slice(0, header.indexOf(` ${next}`) + 1));
        expect(nextCellColumns(rows)).toEqual([at, at, at]);
      }
    },
  );
});

describe("colour", () => {
  const env = { NO_COLOR: undefined, TERM: "xterm" };
  it("paints with chalk on a terminal or under FORCE_COLOR, and never under NO_COLOR or --no-color", async () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the bold escape is what is looked for
    const sgr = /\u001B\[1m/;
    expect((await runCli(["backoff"], { env, tty: true })).stdout).toMatch(sgr);
    expect((await runCli(["backoff"], { env: { ...env, FORCE_COLOR: "1" } })).stdout).toMatch(sgr);
    expect((await runCli(["backoff"], { env })).stdout).not.toMatch(sgr);
    expect((await runCli(["--no-color", "backoff"], { env, tty: true })).stdout).not.toMatch(sgr);
    expect(
      (await runCli(["backoff"], { env: { ...env, NO_COLOR: "1", FORCE_COLOR: "1" }, tty: true })).stdout,
    ).not.toMatch(sgr);
    expect(
      (await runCli(["backoff"], { env: { TERM: "dumb", NO_COLOR: undefined }, tty: true })).stdout,
    ).not.toMatch(sgr);
  });
});
