import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { delivery, deliveryDetail } from "../../src/contract/schema/delivery.js";
import { purgeResult, requeueResult, wouldPurge, wouldRequeue } from "../../src/contract/schema/replay.js";
import { getDelivery } from "../../src/store/deliveries.js";
import { openDb } from "../../src/store/open.js";
import { runCli, testContext } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { emptyLog } from "../helpers/empty-log.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hook";

/** Two dead letters (one to the billing endpoint), one succeeded, one pending. */
function seededLog() {
  const path = tempDb();
  const db = openDb(path);
  const now = Date.now();
  seedEndpoint(db, { id: "ep_b", name: "billing", url, createdAt: now });
  const [old] = seedDeliveries(db, { url, now: now - 10 * 86_400_000, eventType: "order.created" }) as [
    string,
  ];
  const [billing] = seedDeliveries(db, {
    url,
    now: now - 60_000,
    eventType: "invoice.paid",
    endpointId: "ep_b",
  }) as [string];
  const [ok] = seedDeliveries(db, { url, now, eventType: "order.updated" }) as [string];
  const [waiting] = seedDeliveries(db, { url, now, eventType: "order.created" }) as [string];
  finishDelivery(db, old, "dead", now - 9 * 86_400_000);
  finishDelivery(db, billing, "dead", now - 50_000);
  finishDelivery(db, ok, "succeeded", now);
  db.close();
  return { path, old, billing, ok, waiting, now };
}

function statusOf(path: string, id: string) {
  const db = openDb(path);
  const status = getDelivery(db, id)?.status;
  db.close();
  return status;
}

describe("hookctl dlq", () => {
  it("list shows dead letters newest first; --json one object per line; filters narrow", async () => {
    const log = seededLog();
    // The log's own clock: "50s ago" must not become "51s ago" on a slow machine.
    const table = await runCli(["--db", log.path, "dlq", "list"], { now: () => log.now });
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^id\s+event\s+endpoint\/url\s+attempts\s+last\s+dead since$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${log.billing}\\s+invoice\\.paid\\s+billing\\s+1\\s+500\\s+50s ago$`),
    );
    expect(lines[2]).toContain(log.old);
    expect(lines).toHaveLength(3);

    const json = await runCli(["--db", log.path, "dlq", "list", "--json", "--event", "order.*"]);
    const rows = shapedLines(delivery, json.stdout);
    expect(rows).toEqual([
      expect.objectContaining({
        id: log.old,
        status: "dead",
        event: { id: expect.stringMatching(/^evt_/), type: "order.created" },
        endpoint: null,
        url,
        attemptCount: 1,
        lastAttempt: expect.objectContaining({ number: 1, statusCode: 500, error: "HTTP 500" }),
        deadReason: "exhausted",
        nextAttemptAt: null,
        completedAt: new Date(log.now - 9 * 86_400_000).toISOString(),
      }),
    ]);
    const byEndpoint = await runCli(["--db", log.path, "dlq", "--endpoint", "billing"]);
    expect(byEndpoint.stdout).toContain(log.billing);
    expect(byEndpoint.stdout).not.toContain(log.old);
  });

  it("list on an empty log says so on stderr and exits 0", async () => {
    const result = await runCli(["--db", emptyLog(), "dlq", "list"]);
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toMatch(/no dead letters/);
  });

  it("show prints the dead letter and refuses one that is not dead", async () => {
    const log = seededLog();
    const shown = await runCli(["--db", log.path, "dlq", "show", log.billing]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(log.billing);
    expect(shown.stdout).toMatch(/500/);
    const json = await runCli(["--db", log.path, "--json", "dlq", "show", log.billing.slice(-7)]);
    expect(json.code).toBe(0);
    const detail = shaped(deliveryDetail, JSON.parse(json.stdout));
    const [listed] = shapedLines(
      delivery,
      (await runCli(["--db", log.path, "--json", "dlq", "list"])).stdout,
    );
    expect(detail.delivery).toEqual(listed);
    expect(detail.delivery).toMatchObject({ id: log.billing, endpoint: "billing", deadReason: "exhausted" });
    expect(detail.event).toMatchObject({ type: "invoice.paid", body: '{"order":42}', bodyBase64: null });
    expect(detail.attempts).toEqual([
      expect.objectContaining({ deliveryId: log.billing, number: 1, statusCode: 500, durationMs: 5 }),
    ]);
    const notDead = await runCli(["--db", log.path, "dlq", "show", log.ok]);
    expect(notDead.code).toBe(2);
    expect(notDead.stderr).toMatch(/is not a dead letter \(it is succeeded\)/);
  });

  it("requeue --dry-run changes nothing; requeue by id puts it back to pending", async () => {
    const log = seededLog();
    const dry = await runCli(["--db", log.path, "dlq", "requeue", "--all", "--dry-run"]);
    expect(dry.code).toBe(0);
    const [dryHeader, ...dryRows] = dry.stdout.trim().split("\n");
    expect(dryHeader).toMatch(/^id +status +event +endpoint +target$/);
    expect(dryRows).toHaveLength(2);
    expect(dryRows.map((row) => row.indexOf(" dead ") + 1)).toEqual(
      dryRows.map(() => dryHeader?.indexOf("status")),
    );
    expect(statusOf(log.path, log.old)).toBe("dead");
    const dryJson = await runCli(["--db", log.path, "--json", "dlq", "requeue", "--all", "--dry-run"]);
    expect(shapedLines(wouldRequeue, dryJson.stdout)).toEqual([
      {
        outcome: "would-requeue",
        delivery: expect.objectContaining({ id: log.old }),
        to: url,
        skipped: false,
      },
      {
        outcome: "would-requeue",
        delivery: expect.objectContaining({ id: log.billing }),
        to: url,
        skipped: false,
      },
    ]);
    expect(statusOf(log.path, log.old)).toBe("dead");

    const result = await runCli(["--db", log.path, "dlq", "requeue", log.old]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/requeued 1 delivery/);
    expect(result.stderr).toMatch(/run hookctl replay/);
    expect(statusOf(log.path, log.old)).toBe("pending");
    expect(statusOf(log.path, log.billing)).toBe("dead");

    const json = await runCli(["--db", log.path, "--json", "dlq", "requeue", log.billing.slice(-6)]);
    expect(json.code).toBe(0);
    expect(shapedLines(requeueResult, json.stdout)).toEqual([
      { outcome: "requeued", id: log.billing, deliveryId: log.billing, previousStatus: "dead", url },
    ]);
    expect(statusOf(log.path, log.billing)).toBe("pending");
  });

  it("requeue refuses ambiguous or non-dead choices with exit 2", async () => {
    const log = seededLog();
    for (const [argv, message] of [
      [["dlq", "requeue"], /which dead letters\?/],
      [["dlq", "requeue", log.ok], /not a dead letter/],
      [["dlq", "requeue", log.old, "--all"], /not both/],
      [["dlq", "requeue", "--all", "--endpoint", "nope"], /no endpoint named/],
    ] as [string[], RegExp][]) {
      const result = await runCli(["--db", log.path, ...argv]);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it("purge refuses without --yes when not on a terminal, and deletes with it", async () => {
    const log = seededLog();
    const refused = await runCli(["--db", log.path, "dlq", "purge", "--all"], { stdin: "" });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/without --yes when not on a terminal — add --yes/);
    expect(statusOf(log.path, log.old)).toBe("dead");

    const dry = await runCli(["--db", log.path, "--json", "dlq", "purge", "--older-than", "7d", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(shapedLines(wouldPurge, dry.stdout)).toEqual([
      { outcome: "would-purge", delivery: expect.objectContaining({ id: log.old, status: "dead" }) },
    ]);
    expect(statusOf(log.path, log.old)).toBe("dead");

    const older = await runCli(["--db", log.path, "--json", "dlq", "purge", "--older-than", "7d", "--yes"], {
      stdin: "",
    });
    expect(older.code).toBe(0);
    expect(shaped(purgeResult, JSON.parse(older.stdout))).toEqual({ purged: 1, ids: [log.old] });
    expect(statusOf(log.path, log.old)).toBeUndefined();
    expect(statusOf(log.path, log.billing)).toBe("dead");
  });

  it("purge asks on a terminal: no keeps everything, yes deletes", async () => {
    const log = seededLog();
    const ask = async (answer: string) => {
      const { ctx, stderr } = testContext({ tty: true });
      const stdin = new PassThrough() as PassThrough & { isTTY: boolean };
      stdin.isTTY = true;
      const code = run(["--db", log.path, "dlq", "purge", log.billing], { ...ctx, stdin });
      setTimeout(() => stdin.write(`${answer}\n`), 20);
      return { code: await code, stderr: stderr() };
    };
    const no = await ask("n");
    expect(no.code).toBe(0);
    expect(no.stderr).toMatch(/Purge 1 dead letter with their attempts\? .*\[y\/N\]/);
    expect(statusOf(log.path, log.billing)).toBe("dead");
    const yes = await ask("y");
    expect(yes.code).toBe(0);
    expect(statusOf(log.path, log.billing)).toBeUndefined();
  });

  it("documents its subcommands with examples", async () => {
    for (const sub of ["list", "show", "requeue", "purge"]) {
      const result = await runCli(["dlq", sub, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Examples:");
    }
  });
});
