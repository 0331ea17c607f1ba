import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { runBin, spawnReady, waitFor } from "../helpers/bin.js";
import { pgPassword, postgresForFile } from "../helpers/pg.js";
import { relayBin } from "../helpers/relay-bin.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const pg = postgresForFile();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Neither the raw password nor anything that would let one rebuild it is printed. */
function expectNoPassword(...texts: string[]) {
  for (const text of texts) expect(text).not.toContain(pgPassword);
}

/** A server command from the built binary, once ready (killed after the test if still running). */
async function startServer(args: string[], what: string) {
  const readyFile = join(tempDir(), "ready");
  const run = await spawnReady([...args, "--ready-file", readyFile], readyFile, { what });
  cleanups.push(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    await run.exited;
  });
  return run;
}

/** `listen` on a free port. */
function startListen(db: string, args: string[]) {
  return startServer(["--db", db, "listen", "--port", "0", ...args], "listen");
}

/** The same requests, one after another: signed, forged, repeated, binary, under --fail-first 1. */
async function sendScenario(url: string) {
  const secret = "S";
  const timestamp = Math.floor(Date.now() / 1000);
  const posts: { id: string; headers: Record<string, string>; body: Buffer }[] = [];
  for (const [id, text] of [
    ["dlv_one", '{"type":"order.created","n":1}'],
    ["dlv_two", '{"type":"invoice.paid",  "note":"crème ✓"}'],
  ] as const) {
    const body = Buffer.from(text);
    const { headers } = sign({ scheme: "hookctl", body, secrets: [secret], id, timestamp });
    posts.push({ id, headers: { ...headers, "Content-Type": "application/json" }, body });
  }
  const forged = posts[0] as (typeof posts)[number];
  const statuses: number[] = [];
  const send = async (headers: Record<string, string>, body: Buffer, path = "/hooks") => {
    const response = await request(`${url.replace(/\/$/, "")}${path}`, { method: "POST", headers, body });
    await response.body.dump();
    statuses.push(response.statusCode);
  };
  for (const post of posts) {
    await send(post.headers, post.body); // 503: the injected first failure
    await send(post.headers, post.body); // 200
  }
  await send((posts[1] as (typeof posts)[number]).headers, (posts[1] as (typeof posts)[number]).body); // duplicate
  await send({ ...forged.headers, "X-Webhook-Delivery-ID": "dlv_forged" }, Buffer.from("tampered"));
  await send({ "Content-Type": "application/octet-stream" }, Buffer.from([0, 255, 1, 128]), "/bin?q=1");
  return statuses;
}

/** `log received show --json` with ids, times and the listener's port (in Host) masked. */
function withoutPort(shown: { headers: { name: string; value: string }[] }) {
  const headers = shown.headers.map((header) =>
    header.name.toLowerCase() === "host" ? { ...header, value: "<host>" } : header,
  );
  return { ...shown, headers, id: "<id>", receivedAt: "<time>", durationMs: 0 };
}

/** `log received --json` rows with what differs between runs (ids, times) masked. */
function structural(stdout: string) {
  return stdout
    .trim()
    .split("\n")
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      expect(row.id).toMatch(/^rcv_/);
      expect(row.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      return { ...row, id: "<id>", receivedAt: "<time>", durationMs: typeof row.durationMs };
    });
}

describe("e2e: listen, log received, verify --received and relay on PostgreSQL", () => {
  it("captures what listen answers; log received --json on PostgreSQL equals the same run on SQLite", async () => {
    const runs: Record<string, { statuses: number[]; list: unknown[]; show: unknown; outputs: string[] }> =
      {};
    for (const [backend, db] of [
      ["sqlite", tempDb()],
      ["postgres", await pg.database()],
    ] as const) {
      const listener = await startListen(db, ["--secret", "S", "--fail-first", "1"]);
      const url = listener.url;
      const statuses = await sendScenario(url);
      listener.child.kill("SIGTERM");
      expect(await listener.exited).toBe(0);
      const listed = await runBin(["--db", db, "--json", "log", "received", "--limit", "20"]);
      expect(listed.code, listed.stderr).toBe(0);
      const newest = JSON.parse(listed.stdout.split("\n")[0] as string) as { id: string };
      // By a unique suffix, as lists show ids.
      const shown = await runBin(["--db", db, "--json", "log", "received", "show", newest.id.slice(-8)]);
      expect(shown.code, shown.stderr).toBe(0);
      const signed = (
        JSON.parse(`[${listed.stdout.trim().split("\n").join(",")}]`) as {
          id: string;
          deliveryId: string | null;
          statusCode: number | null;
        }[]
      ).find((row) => row.deliveryId === "dlv_one" && row.statusCode === 200);
      const verified = await runBin(["--db", db, "verify", "--received", signed?.id ?? "", "--secret", "S"]);
      expect(verified.code, verified.stderr + verified.stdout).toBe(0);
      const forgedId = (
        JSON.parse(`[${listed.stdout.trim().split("\n").join(",")}]`) as {
          id: string;
          deliveryId: string | null;
        }[]
      ).find((row) => row.deliveryId === "dlv_forged")?.id;
      const notAuthentic = await runBin([
        "--db",
        db,
        "verify",
        "--received",
        forgedId ?? "",
        "--secret",
        "S",
      ]);
      expect(notAuthentic.code).toBe(1);
      runs[backend] = {
        statuses,
        list: structural(listed.stdout),
        show: withoutPort(JSON.parse(shown.stdout) as { headers: { name: string; value: string }[] }),
        outputs: [
          listener.output.stdout,
          listener.output.stderr,
          listed.stdout,
          listed.stderr,
          shown.stdout,
          verified.stdout,
          verified.stderr,
          notAuthentic.stdout,
          notAuthentic.stderr,
        ],
      };
    }
    const { sqlite, postgres } = runs as Record<"sqlite" | "postgres", (typeof runs)[string]>;
    expect(sqlite.statuses).toEqual([503, 200, 503, 200, 200, 401, 401]);
    expect(sqlite.list).toHaveLength(7);
    expect(postgres.statuses).toEqual(sqlite.statuses);
    expect(postgres.list).toEqual(sqlite.list);
    expect(postgres.show).toEqual(sqlite.show);
    expect(postgres.outputs[1]).toMatch(/capturing to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:/);
    expectNoPassword(...postgres.outputs);
  });

  it("relay on PostgreSQL + listen --from into PostgreSQL: a listener killed -9 resumes, each request captured once", async () => {
    const relayDb = await pg.database();
    const relay = await relayBin({ db: relayDb });
    cleanups.push(() => relay.kill());
    expect(relay.output.stderr).toMatch(/log postgres:\/\/postgres:\*\*\*@/);
    // A slow app, so the kill lands in the middle of the stream.
    const arrivals: string[] = [];
    const app = createServer((req, res) => {
      arrivals.push(String(req.headers["x-webhook-delivery-id"]));
      req.resume();
      req.on("end", () => setTimeout(() => res.end("ok"), 5));
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => app.close(resolve)));
    const address = app.address();
    const appUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app`;

    const listenDb = await pg.database();
    const dir = tempDir();
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, `${relay.token}\n`);
    const startListener = () =>
      startServer(
        [
          "--db",
          listenDb,
          "listen",
          "--from",
          relay.channelUrl,
          "--relay-token-file",
          tokenFile,
          "--forward-to",
          appUrl,
        ],
        "listen --from",
      );
    const ids = Array.from({ length: 90 }, (_, i) => `dlv_${String(i).padStart(3, "0")}`);
    const seqs: number[] = [];
    const post = async (id: string, channelUrl = relay.channelUrl) => {
      const response = await request(`${channelUrl}/k`, {
        method: "POST",
        headers: { "X-Webhook-Delivery-ID": id },
        body: `{"id":"${id}"}`,
      });
      expect(response.statusCode).toBe(200);
      seqs.push(((await response.body.json()) as { seq: number }).seq);
    };

    const first = await startListener();
    for (const id of ids.slice(0, 60)) await post(id);
    await waitFor(() => (arrivals.length >= 15 ? true : undefined), 15_000, "15 arrivals");
    first.child.kill("SIGKILL");
    await first.exited;
    const { pool } = await pg.pool(listenDb);
    const before = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM received");
    expect(before.rows[0]?.n).toBeLessThan(60);
    // A second relay process on the same log: numbering carries on without gaps or repeats.
    const other = await startServer(["--db", relayDb, "relay", "--port", "0"], "second relay");
    const viaOther = (id: string) => post(id, `${other.url}/c/${relay.channel}`);
    for (const [i, id] of ids.slice(60, 80).entries()) await (i % 2 === 0 ? post(id) : viaOther(id));

    const second = await startListener();
    const capturedCount = async () =>
      (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM received")).rows[0]?.n;
    await waitFor(async () => ((await capturedCount()) === 80 ? true : undefined), 30_000, "80 captured");
    // Stored by the other relay while the listener idles on the first one's stream: found by its poll.
    for (const id of ids.slice(80)) await viaOther(id);
    expect(seqs).toEqual(ids.map((_, i) => i + 1));
    await waitFor(
      async () => ((await capturedCount()) === ids.length ? true : undefined),
      30_000,
      "every request captured",
    );
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.output.stderr).toMatch(/resuming after #\d+/);
    const captured = await pool.query<{ delivery_id: string }>(
      "SELECT delivery_id FROM received ORDER BY arrival",
    );
    expect(captured.rows.map((row) => row.delivery_id)).toEqual(ids);
    const cursor = await pool.query<{ acked_seq: number }>("SELECT acked_seq FROM relay_cursors");
    expect(cursor.rows.map((row) => row.acked_seq)).toEqual([ids.length]);

    const channels = await runBin(["--db", relayDb, "--json", "relay", "channel", "list"]);
    expect(channels.code, channels.stderr).toBe(0);
    expect(JSON.parse(channels.stdout)).toMatchObject({
      name: "test",
      storedCount: ids.length,
      lastSeq: ids.length,
    });
    const listed = await runBin(["--db", listenDb, "--json", "log", "received", "--limit", "200"]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(ids.length);
    expectNoPassword(
      relay.output.stdout,
      relay.output.stderr,
      first.output.stderr,
      second.output.stderr,
      other.output.stderr,
      second.output.stdout,
      channels.stdout,
      channels.stderr,
    );
  });
});
