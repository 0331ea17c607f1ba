import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  endpointAdded,
  endpointDetail,
  endpoint as endpointSchema,
} from "../../src/contract/schema/endpoint.js";
import { getEndpointByName } from "../../src/store/endpoints.js";
import { openDb } from "../../src/store/open.js";
import { runBin } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { shaped, shapedLines } from "../helpers/contract.js";
import { okReceiver, type Receiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

const url = "http://127.0.0.1:9/hooks";

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** What the log holds for the endpoint: its globs, null for every type, undefined when there is no such endpoint. */
function storedEvents(db: string, name: string): readonly string[] | null | undefined {
  const handle = openDb(db);
  try {
    const endpoint = getEndpointByName(handle, name);
    return endpoint ? (endpoint.events ?? null) : undefined;
  } finally {
    handle.close();
  }
}

/** `hookctl --db <db> …args` in-process. */
function cli(db: string, ...args: string[]) {
  return runCli(["--db", db, ...args]);
}

/** `endpoint add <name> --url … …flags`, in-process. */
function addEndpoint(db: string, name: string, ...flags: string[]) {
  return cli(db, "endpoint", "add", name, "--url", url, ...flags);
}

function expectOneLine(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.endsWith("\n")).toBe(true);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

describe("endpoint add --events", () => {
  it("stores the globs, and says so", async () => {
    const db = tempDb();
    const result = await addEndpoint(db, "orders", "--events", " order.* ,invoice.paid,order.*");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `✓ added endpoint orders → ${url} (hookctl, no secret: unsigned, events order.*, invoice.paid)\n`,
    );
    expect(storedEvents(db, "orders")).toEqual(["order.*", "invoice.paid"]);
  });

  it("is repeatable: the lists are joined", async () => {
    const db = tempDb();
    const args = ["--events", "order.*", "--events", "invoice.paid,refund.?"];
    expect((await addEndpoint(db, "orders", ...args)).code).toBe(0);
    expect(storedEvents(db, "orders")).toEqual(["order.*", "invoice.paid", "refund.?"]);
  });

  it("without it the endpoint receives every type (null), and --json says null", async () => {
    const db = tempDb();
    const result = await addEndpoint(db, "all", "--json");
    expect(result.code).toBe(0);
    expect(shaped(endpointAdded, JSON.parse(result.stdout)).events).toBeNull();
    expect(storedEvents(db, "all")).toBeNull();
  });

  it("--json carries the list", async () => {
    const db = tempDb();
    const result = await addEndpoint(db, "orders", "--json", "--events", "order.*,invoice.paid");
    expect(shaped(endpointAdded, JSON.parse(result.stdout)).events).toEqual(["order.*", "invoice.paid"]);
  });

  it.each([
    ["only commas and blanks", " , ,", /^hookctl: --events names no event type — /],
    ["an empty value", "", /^hookctl: --events names no event type — /],
    [
      "a glob over 200 characters",
      `a,${"x".repeat(201)}`,
      /--events has a glob of 201 characters \(at most 200\)/,
    ],
    ["a line break", "order.*,invoice\n.paid", /--events glob "invoice\\n\.paid" contains a line break/],
    [
      "an escape sequence",
      "order.\u001b[31m*",
      /--events glob "order\.\\u001b\[31m\*" contains the control character U\+001B/,
    ],
    [
      "a character beyond Latin-1",
      "order.✓",
      /--events glob "order\.✓" contains U\+2713, which a header cannot carry/,
    ],
  ])("refuses %s: exit 2, one line, nothing stored", async (_, value, message) => {
    const db = tempDb();
    expectOneLine(await addEndpoint(db, "orders", "--events", value), message);
    expect(existsSync(db) ? storedEvents(db, "orders") : undefined).toBeUndefined();
  });

  it("accepts Latin-1 letters and a lone *", async () => {
    const db = tempDb();
    const result = await addEndpoint(db, "fr", "--events", "commande.créée,*");
    expect(result.code).toBe(0);
    expect(storedEvents(db, "fr")).toEqual(["commande.créée", "*"]);
  });
});

describe("endpoint list and show", () => {
  async function twoEndpoints(): Promise<string> {
    const db = tempDb();
    await addEndpoint(db, "all");
    await addEndpoint(db, "orders", "--events", "order.*,invoice.paid");
    return db;
  }

  it("list has an events column: * for every type, the globs otherwise", async () => {
    const db = await twoEndpoints();
    const result = await cli(db, "endpoint", "list");
    expect(result.stdout.split("\n")).toEqual([
      "name    url                       scheme   events                 secret    limits",
      `all     ${url}  hookctl  *                      unsigned`,
      `orders  ${url}  hookctl  order.*, invoice.paid  unsigned`,
      "",
    ]);
  });

  it("list --json has events: null or the list", async () => {
    const db = await twoEndpoints();
    const listed = shapedLines(endpointSchema, (await cli(db, "--json", "endpoint", "list")).stdout);
    expect(listed.map((e) => [e.name, e.events])).toEqual([
      ["all", null],
      ["orders", ["order.*", "invoice.paid"]],
    ]);
  });

  it("show has an events line, and --json the list", async () => {
    const db = await twoEndpoints();
    const orders = await cli(db, "endpoint", "show", "orders");
    expect(orders.stdout).toContain("\n  events      order.*, invoice.paid\n");
    const all = await cli(db, "endpoint", "show", "all");
    expect(all.stdout).toContain("\n  events      * (every event type)\n");
    const json = await cli(db, "--json", "endpoint", "show", "orders");
    expect(shaped(endpointDetail, JSON.parse(json.stdout)).events).toEqual(["order.*", "invoice.paid"]);
  });

  it("paints only on a colour terminal, never under NO_COLOR", async () => {
    const db = await twoEndpoints();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is looked for
    const sgr = /\u001b\[/;
    const colour = { NO_COLOR: undefined, TERM: "xterm" };
    const painted = await runCli(["--db", db, "endpoint", "show", "all"], { env: colour, tty: true });
    expect(painted.stdout).toMatch(sgr);
    const plain = await runCli(["--db", db, "endpoint", "show", "all"], {
      env: { ...colour, NO_COLOR: "1" },
      tty: true,
    });
    expect(plain.stdout).not.toMatch(sgr);
    expect(plain.stdout).toContain("  events      * (every event type)\n");
  });
});

describe("endpoint set", () => {
  async function ordersEndpoint(...events: string[]): Promise<string> {
    const db = tempDb();
    expect((await addEndpoint(db, "orders", ...events)).code).toBe(0);
    return db;
  }

  it("--events replaces the list", async () => {
    const db = await ordersEndpoint("--events", "order.*");
    const result = await cli(db, "endpoint", "set", "orders", "--events", "payment.*,refund.created");
    expect(result).toMatchObject({ code: 0, stdout: "✓ orders now receives payment.*, refund.created\n" });
    expect(storedEvents(db, "orders")).toEqual(["payment.*", "refund.created"]);
  });

  it("--events narrows an endpoint that received every type", async () => {
    const db = await ordersEndpoint();
    expect((await cli(db, "endpoint", "set", "orders", "--events", "order.*")).code).toBe(0);
    expect(storedEvents(db, "orders")).toEqual(["order.*"]);
  });

  it("--all-events goes back to every type; --json prints the endpoint as list does", async () => {
    const db = await ordersEndpoint("--events", "order.*");
    const result = await cli(db, "--json", "endpoint", "set", "orders", "--all-events");
    expect(result.code).toBe(0);
    const printed = shaped(endpointSchema, JSON.parse(result.stdout));
    expect(printed.events).toBeNull();
    expect(storedEvents(db, "orders")).toBeNull();
    const listed = shapedLines(endpointSchema, (await cli(db, "--json", "endpoint", "list")).stdout);
    expect(listed).toEqual([printed]);
    const text = await cli(db, "endpoint", "set", "orders", "--all-events");
    expect(text.stdout).toBe("✓ orders now receives every event type\n");
  });

  it("needs exactly one of --events and --all-events", async () => {
    const db = await ordersEndpoint("--events", "order.*");
    expectOneLine(
      await cli(db, "endpoint", "set", "orders"),
      /^hookctl: nothing to set — give --events <globs> or --all-events\n$/,
    );
    expectOneLine(
      await cli(db, "endpoint", "set", "orders", "--events", "a.*", "--all-events"),
      /^hookctl: give --events or --all-events, not both\n$/,
    );
    expect(storedEvents(db, "orders")).toEqual(["order.*"]);
  });

  it("refuses a bad list and leaves the old one", async () => {
    const db = await ordersEndpoint("--events", "order.*");
    expectOneLine(await cli(db, "endpoint", "set", "orders", "--events", ","), /names no event type/);
    expect(storedEvents(db, "orders")).toEqual(["order.*"]);
  });

  it("an unknown endpoint, or no log at all, is exit 2 and creates nothing", async () => {
    const db = await ordersEndpoint();
    expectOneLine(
      await cli(db, "endpoint", "set", "billing", "--all-events"),
      /^hookctl: unknown endpoint "billing" — known endpoints: orders/,
    );
    const missing = tempDb();
    expectOneLine(await cli(missing, "endpoint", "set", "orders", "--all-events"), /^hookctl: /);
    expect(existsSync(missing)).toBe(false);
  });
});

describe("send <endpoint>", () => {
  it("delivers to an endpoint subscribed to other types: it names its target", async () => {
    receiver = await okReceiver();
    const db = tempDb();
    const add = ["endpoint", "add", "billing", "--url", receiver.url, "--events", "invoice.*"];
    expect((await cli(db, ...add)).code).toBe(0);
    const sent = await cli(db, "send", "billing", "--event", "order.created", "--data", "{}");
    expect(sent.code).toBe(0);
    const [request] = await receiver.waitForRequests(1);
    expect(request?.headers["x-webhook-event"]).toBe("order.created");
  });
});

describe("the built binary", () => {
  it("adds, shows and changes a subscription, and refuses a line break in one line", async () => {
    const env = { HOOKCTL_DB: tempDb() };
    const add = await runBin(
      ["endpoint", "add", "orders", "--url", url, "--events", "order.*,invoice.paid", "--json"],
      { env },
    );
    expect(add.code).toBe(0);
    expect(shaped(endpointAdded, JSON.parse(add.stdout)).events).toEqual(["order.*", "invoice.paid"]);
    const show = await runBin(["endpoint", "show", "orders"], { env });
    expect(show.stdout).toContain("  events      order.*, invoice.paid\n");
    const set = await runBin(["endpoint", "set", "orders", "--events", "payment.*", "--json"], { env });
    expect(shaped(endpointSchema, JSON.parse(set.stdout)).events).toEqual(["payment.*"]);
    expectOneLine(
      await runBin(["endpoint", "set", "orders", "--events", "payment.*\nrefund.*"], { env }),
      /^hookctl: --events glob "payment\.\*\\nrefund\.\*" contains a line break/,
    );
    const listed = shapedLines(
      endpointSchema,
      (await runBin(["endpoint", "list", "--json"], { env })).stdout,
    );
    expect(listed.map((e) => e.events)).toEqual([["payment.*"]]);
  });
});
