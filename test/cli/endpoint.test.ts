import { describe, expect, it } from "vitest";
import { delivery } from "../../src/contract/schema/delivery.js";
import {
  endpointAdded,
  endpointDetail,
  endpointRemoved,
  endpointRotated,
  endpoint as endpointSchema,
} from "../../src/contract/schema/endpoint.js";
import { activeSecrets, getEndpointByName } from "../../src/store/endpoints.js";
import { openDb } from "../../src/store/open.js";
import { spawnBin } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { emptyLog } from "../helpers/empty-log.js";
import { startReceiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

const secret = "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cy0xMjM0NTY=";

function secretsOf(db: string, name: string, now = Date.now()): string[] {
  const handle = openDb(db);
  try {
    const endpoint = getEndpointByName(handle, name);
    return endpoint ? activeSecrets(handle, endpoint.id, now) : [];
  } finally {
    handle.close();
  }
}

describe("hookctl endpoint add", () => {
  it("stores URL, scheme, limits and policy, and masks a given secret", async () => {
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://127.0.0.1:3000/hooks",
      "--scheme",
      "standard",
      "--secret",
      secret,
      "--rate",
      "5/s",
      "--concurrency",
      "2",
      "--timeout",
      "3s",
      "--retries",
      "4",
      "--max-delay",
      "10m",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "✓ added endpoint orders → http://127.0.0.1:3000/hooks (standard, secret whsec_c2Vj…)\n",
    );
    const json = await runCli(["--db", db, "--json", "endpoint", "show", "orders"]);
    const shown = shaped(endpointDetail, JSON.parse(json.stdout));
    expect(shown).toMatchObject({
      name: "orders",
      url: "http://127.0.0.1:3000/hooks",
      scheme: "standard",
      ratePerSecond: 5,
      concurrency: 2,
      timeoutMs: 3000,
      policy: { retries: 4, initialMs: 1000, maxDelayMs: 600_000 },
      secrets: [{ secret: "whsec_c2Vj…", expiresAt: null }],
      deliveries: { pending: 0, inFlight: 0, succeeded: 0, dead: 0 },
    });
    // The factor is worked out: retry 4 waits exactly the 10-minute cap.
    expect(shown.policy.initialMs * shown.policy.factor ** 3).toBeCloseTo(600_000, 6);
    expect(json.stdout).not.toContain(secret);
    expect(secretsOf(db, "orders")).toEqual([secret]);
  });

  it("--generate-secret prints the new secret in full exactly once", async () => {
    const db = tempDb();
    const result = await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://127.0.0.1:3000/",
      "--generate-secret",
    ]);
    expect(result.code).toBe(0);
    const [stored] = secretsOf(db, "orders");
    expect(stored).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(result.stdout.split(stored as string)).toHaveLength(2);
    expect(result.stderr).toContain("shown once");
    for (const args of [
      ["endpoint", "list"],
      ["--json", "endpoint", "list"],
      ["endpoint", "show", "orders"],
    ]) {
      const shown = await runCli(["--db", db, ...args]);
      expect(shown.stdout).not.toContain(stored);
      expect(shown.stdout).toContain((stored as string).slice(0, 10));
    }
    const added = await runCli([
      "--db",
      db,
      "--json",
      "endpoint",
      "add",
      "billing",
      "--url",
      "http://127.0.0.1:4000/",
      "--generate-secret",
    ]);
    const generated = shaped(endpointAdded, JSON.parse(added.stdout)).generatedSecret as string;
    expect(generated).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(added.stdout.split(generated)).toHaveLength(2);
    expect(secretsOf(db, "billing")).toEqual([generated]);
    const given = await runCli([
      "--db",
      db,
      "--json",
      "endpoint",
      "add",
      "refunds",
      "--url",
      "http://127.0.0.1:5000/",
      "--secret",
      secret,
    ]);
    expect(shaped(endpointAdded, JSON.parse(given.stdout))).toMatchObject({
      secrets: [{ secret: "whsec_c2Vj…" }],
      generatedSecret: null,
    });
    expect(given.stdout).not.toContain(secret);
  });

  it("refuses bad input with one line and exit 2", async () => {
    const db = tempDb();
    await runCli(["--db", db, "endpoint", "add", "orders", "--url", "http://127.0.0.1:3000/"]);
    const cases: [string[], RegExp][] = [
      [
        ["endpoint", "add", "orders", "--url", "http://x/"],
        /endpoint orders already exists — remove it first/,
      ],
      [["endpoint", "add", "bad name", "--url", "http://x/"], /bad endpoint name/],
      [["endpoint", "add", "a", "--url", "ftp://x/"], /--url must be an http or https URL, not ftp:/],
      [["endpoint", "add", "a", "--url", "http://x/", "--secret", "s", "--generate-secret"], /not both/],
      [
        ["endpoint", "add", "a", "--url", "http://x/", "--scheme", "svix", "--secret", "plain"],
        /scheme svix/,
      ],
      [
        ["endpoint", "add", "a", "--url", "http://x/", "--initial", "10m", "--max-delay", "1m"],
        /bad retry policy/,
      ],
      [["endpoint", "add", "a"], /required option '--url <url>'/],
      [["endpoint", "show", "nope"], /unknown endpoint "nope" — known endpoints: orders/],
      [["endpoint", "rm", "nope"], /unknown endpoint "nope"/],
      [["endpoint", "rotate-secret", "orders", "--grace", "forever"], /--grace.*invalid/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["--db", db, ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("hookctl endpoint list and rm", () => {
  it("lists endpoints as lines or JSON, and says how to add one when there are none", async () => {
    const db = emptyLog();
    const empty = await runCli(["--db", db, "endpoint", "list"]);
    expect(empty).toMatchObject({ code: 0, stdout: "" });
    expect(empty.stderr).toContain("hookctl endpoint add");
    await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://127.0.0.1:3000/",
      "--secret",
      "plain-secret-abcdef",
    ]);
    await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "billing",
      "--url",
      "http://127.0.0.1:4000/",
      "--rate",
      "2/s",
    ]);
    const list = await runCli(["--db", db, "endpoint", "list"]);
    const [header = "", ...rows] = list.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^name +url +scheme +events +secret +limits$/);
    expect(rows[0]).toMatch(/^billing +http:\/\/127\.0\.0\.1:4000\/ +hookctl +\* +unsigned +2\/s$/);
    expect(rows[1]).toMatch(/^orders +http:\/\/127\.0\.0\.1:3000\/ +hookctl +\* +plai…$/);
    for (const title of ["url", "scheme", "secret"]) {
      expect(rows.map((row) => row[header.indexOf(title) - 1])).toEqual([" ", " "]);
      expect(rows.map((row) => row[header.indexOf(title)])).not.toContain(" ");
    }
    const json = shapedLines(
      endpointSchema,
      (await runCli(["--db", db, "--json", "endpoint", "list"])).stdout,
    );
    expect(json.map((e) => e.name)).toEqual(["billing", "orders"]);
    expect(json.map((e) => e.ratePerSecond)).toEqual([2, null]);
    expect(json[1]?.secrets).toMatchObject([{ secret: "plai…", expiresAt: null }]);
  });

  it("rm --force while attempts run: waits for their records (the receiver answered), then removes", async () => {
    const receiver = await startReceiver({ status: 200, delayMs: 1500 });
    try {
      const db = tempDb();
      await runCli(["--db", db, "endpoint", "add", "slow", "--url", receiver.url, "--secret", "whsec_a"]);
      const send = spawnBin([
        "--db",
        db,
        "send",
        "slow",
        "--data",
        "{}",
        "--count",
        "2",
        "--concurrency",
        "2",
      ]);
      const sent = new Promise<number | null>((resolve) => send.on("close", (code) => resolve(code)));
      await receiver.waitForRequests(2, 30_000);
      const removed = await runCli(["--db", db, "endpoint", "rm", "slow", "--yes", "--force"]);
      expect(removed).toMatchObject({ code: 0, stdout: "✓ removed endpoint slow\n" });
      expect(removed.stderr).toBe(
        "waiting for 2 deliveries in flight to slow to be recorded (at most 30s)…\n",
      );
      expect(await sent).toBe(0);
      const listed = await runCli(["--db", db, "--json", "log"]);
      const rows = shapedLines(delivery, listed.stdout);
      expect(rows.map((row) => [row.status, row.attemptCount, row.lastAttempt?.statusCode])).toEqual([
        ["succeeded", 1, 200],
        ["succeeded", 1, 200],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it("rm refuses while deliveries wait; --force gives them up", async () => {
    const db = tempDb();
    await runCli(["--db", db, "endpoint", "add", "orders", "--url", "http://127.0.0.1:9/"]);
    await runCli(["--db", db, "send", "orders", "--timeout", "1s"]);
    const refused = await runCli(["--db", db, "endpoint", "rm", "orders", "--yes"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /has 1 deliveries still waiting — run hookctl replay first, or pass --force/,
    );
    const forced = await runCli(["--db", db, "endpoint", "rm", "orders", "--yes", "--force"]);
    expect(forced).toMatchObject({
      code: 0,
      stdout: "✓ removed endpoint orders (1 waiting deliveries marked dead)\n",
    });
    const log = await runCli(["--db", db, "--json", "log"]);
    expect(shaped(delivery, JSON.parse(log.stdout))).toMatchObject({
      status: "dead",
      endpoint: null,
      deadReason: "endpoint-removed",
    });
    await runCli(["--db", db, "endpoint", "add", "billing", "--url", "http://127.0.0.1:9/"]);
    const removed = await runCli(["--db", db, "--json", "endpoint", "rm", "billing", "--yes"]);
    expect(shaped(endpointRemoved, JSON.parse(removed.stdout))).toEqual({
      name: "billing",
      removed: true,
      abandoned: 0,
    });
  });
});

describe("hookctl endpoint rm asks first", () => {
  async function withOrders(): Promise<string> {
    const db = tempDb();
    await runCli([
      "--db",
      db,
      ..."endpoint add orders --url http://127.0.0.1:9/ --generate-secret".split(" "),
    ]);
    return db;
  }
  const names = async (db: string) =>
    (await runCli(["--db", db, "--json", "endpoint", "list"])).stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => (JSON.parse(line) as { name: string }).name);

  it("on a terminal: y alone removes it", async () => {
    const db = await withOrders();
    const result = await runCli(["--db", db, "endpoint", "rm", "orders"], { stdin: "y\n", tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("Remove endpoint orders and its 1 secret? [y/N] ");
    expect(result.stdout).toBe("✓ removed endpoint orders\n");
    expect(await names(db)).toEqual([]);
  });

  it("on a terminal: Enter or anything but y keeps it", async () => {
    const db = await withOrders();
    for (const answer of ["\n", "n\n", "yep\n"]) {
      const result = await runCli(["--db", db, "endpoint", "rm", "orders"], { stdin: answer, tty: true });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/nothing removed\n$/);
    }
    expect(await names(db)).toEqual(["orders"]);
  });

  it("not on a terminal: one line, exit 2, saying to add --yes", async () => {
    const db = await withOrders();
    const result = await runCli(["--db", db, "endpoint", "rm", "orders"], { stdin: "y\n", tty: false });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "hookctl: refusing to remove endpoint orders and its 1 secret without --yes when not on a terminal — add --yes\n",
    );
    expect(await names(db)).toEqual(["orders"]);
  });
});

describe("hookctl endpoint rotate-secret", () => {
  it("prints the new secret once; the old one stays valid until the grace ends", async () => {
    const db = tempDb();
    const now = Date.UTC(2026, 0, 15, 9, 0);
    await runCli(
      [
        "--db",
        db,
        "endpoint",
        "add",
        "orders",
        "--url",
        "http://127.0.0.1:9/",
        "--scheme",
        "standard",
        "--secret",
        secret,
      ],
      {
        now: () => now - 1000,
      },
    );
    const result = await runCli(["--db", db, "endpoint", "rotate-secret", "orders", "--grace", "2h"], {
      now: () => now,
    });
    expect(result.code).toBe(0);
    const fresh = /^secret: (whsec_\S+)$/m.exec(result.stdout)?.[1] as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(result.stderr).toContain("stays valid until");
    expect(secretsOf(db, "orders", now)).toEqual([fresh, secret]);
    expect(secretsOf(db, "orders", now + 2 * 3_600_000)).toEqual([fresh]);
    const show = await runCli(["--db", db, "endpoint", "show", "orders"], { now: () => now });
    expect(show.stdout).toMatch(/whsec_c2Vj… +retiring, added .*valid until/);
    expect(show.stdout).not.toContain(fresh);
  });

  it("signs with both secrets during the grace period (standard scheme)", async () => {
    const { okReceiver } = await import("../helpers/receivers.js");
    const receiver = await okReceiver();
    try {
      const db = tempDb();
      await runCli([
        "--db",
        db,
        "endpoint",
        "add",
        "orders",
        "--url",
        receiver.url,
        "--scheme",
        "standard",
        "--secret",
        secret,
      ]);
      await runCli(["--db", db, "endpoint", "rotate-secret", "orders"]);
      await runCli(["--db", db, "send", "orders"]);
      expect(String(receiver.requests[0]?.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it("a given secret is masked in the output and JSON", async () => {
    const db = tempDb();
    await runCli([
      "--db",
      db,
      "endpoint",
      "add",
      "orders",
      "--url",
      "http://127.0.0.1:9/",
      "--secret",
      "first-secret-abcdef",
    ]);
    const result = await runCli([
      "--db",
      db,
      "--json",
      "endpoint",
      "rotate-secret",
      "orders",
      "--secret",
      "second-secret-abcdef",
      "--grace",
      "0s",
    ]);
    expect(result.code).toBe(0);
    expect(shaped(endpointRotated, JSON.parse(result.stdout))).toMatchObject({
      name: "orders",
      secret: "seco…",
      retiring: 1,
    });
    expect(secretsOf(db, "orders")).toEqual(["second-secret-abcdef"]);
  });
});
