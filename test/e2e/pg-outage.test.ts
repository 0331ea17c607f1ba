import { afterEach, describe, expect, it } from "vitest";
import { replayEvent } from "../../src/contract/schema/replay.js";
import { spawnBin, waitFor } from "../helpers/bin.js";
import { shapedLines } from "../helpers/contract.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { seedPgDeliveries } from "../helpers/pg-log.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";

/** A server of this file's own: the test restarts it. */
const pg = postgresForFile();

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("replay --watch on PostgreSQL while the server restarts", () => {
  it("says the log is away, waits, and goes on delivering once the server is back", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const { url: db, pool } = await pg.pool(undefined, 2);
    const [first] = await seedPgDeliveries(pool, { url: receiver.url, now: Date.now(), count: 1 });
    const watcher = spawnBin(["replay", "--watch", "--json", "--db", db]);
    const output = { stdout: "", stderr: "" };
    watcher.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output.stdout += chunk;
    });
    watcher.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output.stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => watcher.once("close", (code) => resolve(code)));
    const events = () => shapedLines(replayEvent, output.stdout);
    await waitFor(
      // Recorded and reported: the outage below hits a watcher with nothing in flight.
      () => (events().some((event) => event.type === "attempt") ? true : undefined),
      30_000,
      "the first delivery",
    );

    await pg.server().restart(async () => {
      // While the server is down the watcher's next look at the log fails: it says so and waits.
      await waitFor(
        () => (events().some((event) => event.type === "store-unavailable") ? true : undefined),
        30_000,
        "store-unavailable",
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the watcher said: ${output.stderr}${output.stdout}`);
      });
    });
    const [second] = await seedPgDeliveries(pool, { url: receiver.url, now: Date.now(), count: 1 });
    await waitFor(
      () => (receiver?.count(second as string) === 1 ? true : undefined),
      60_000,
      "the second delivery",
    );

    watcher.kill("SIGINT");
    expect(await exited).toBe(130);
    const away = events().filter((event) => event.type === "store-unavailable");
    expect(away[0]).toMatchObject({ error: "lost the connection to the PostgreSQL log" });
    expect(events().at(-1)).toMatchObject({ type: "stopped", reason: "interrupted", succeeded: 2 });
    expect(receiver.count(first as string)).toBe(1);
    expect(`${output.stdout}${output.stderr}`).not.toContain(pgPassword);
  }, 120_000);
});
