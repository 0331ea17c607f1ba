import { afterEach, describe, expect, it } from "vitest";
import { deliveryDetail } from "../../src/contract/schema/delivery.js";
import { ingestResult, problem } from "../../src/contract/schema/serve.js";
import { deliveryPage, eventDetail } from "../../src/contract/schema/serve-read.js";
import { openDb } from "../../src/store/open.js";
import { runBin, waitFor } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { seedEndpoint } from "../helpers/endpoints.js";
import { startReceiver } from "../helpers/receivers.js";
import { serveBin } from "../helpers/serve-bin.js";
import { tempDb } from "../helpers/tmp.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const token = "tok-e2e-0123456789";

/** Every route of the outbox, over loopback against the built binary, as an application uses it. */
describe("serve's API end to end (built binary, one log)", () => {
  it("ingests, fans out by glob, dedupes, reads, pages, retries and reports, each answer in its published shape", async () => {
    // Orders answer 410 (dead at once) until told otherwise; billing always 200.
    let ordersStatus = 410;
    const orders = await startReceiver(() => ({ status: ordersStatus }));
    const billing = await startReceiver({ status: 200 });
    cleanup.push(
      () => orders.close(),
      () => billing.close(),
    );
    const path = tempDb();
    const db = openDb(path);
    seedEndpoint(db, {
      id: "ep_o",
      name: "orders",
      url: orders.url,
      createdAt: Date.now(),
      events: ["order.*"],
    });
    seedEndpoint(db, {
      id: "ep_b",
      name: "billing",
      url: billing.url,
      createdAt: Date.now(),
      events: ["invoice.paid"],
    });
    db.close();
    const serve = await serveBin(path, [], { env: { HOOKCTL_SERVE_TOKEN: token } });
    cleanup.push(serve.kill);
    const call = (route: string, init: RequestInit = {}) =>
      fetch(`${serve.url}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
      });

    // Fan-out by glob: each type reaches only its subscriber; an unsubscribed type is recorded alone.
    const posted: { id: string; deliveries: { id: string; endpoint: string }[] }[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await call("/v1/events", {
        method: "POST",
        headers: { "idempotency-key": `order-${i}` },
        body: JSON.stringify({ type: "order.created", payload: { i } }),
      });
      expect(response.status).toBe(202);
      posted.push(shaped(ingestResult, await response.json()));
    }
    expect(posted.every((answer) => answer.deliveries.map((d) => d.endpoint).join() === "orders")).toBe(true);
    const invoice = shaped(
      ingestResult,
      await (
        await call("/v1/events", { method: "POST", body: '{"type":"invoice.paid","payload":{}}' })
      ).json(),
    );
    expect(invoice.deliveries.map((d) => d.endpoint)).toEqual(["billing"]);
    const nobody = shaped(
      ingestResult,
      await (await call("/v1/events", { method: "POST", body: '{"type":"user.signup","payload":1}' })).json(),
    );
    expect(nobody.deliveries).toEqual([]);

    // Idempotency over the wire: the same bytes answer as before, other bytes are a problem.
    const repeat = await call("/v1/events", {
      method: "POST",
      headers: { "idempotency-key": "order-0" },
      body: JSON.stringify({ type: "order.created", payload: { i: 0 } }),
    });
    expect(repeat.status).toBe(202);
    expect(shaped(ingestResult, await repeat.json())).toEqual({ ...posted[0], duplicate: true });
    const clash = await call("/v1/events", {
      method: "POST",
      headers: { "idempotency-key": "order-0" },
      body: JSON.stringify({ type: "order.created", payload: { i: 99 } }),
    });
    expect(clash.status).toBe(422);
    expect(clash.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(shaped(problem, await clash.json()).detail).toMatch(/different body/);

    // The five orders die (410); the dead list pages two at a time with no repeats or gaps.
    const orderIds = posted.map((answer) => answer.deliveries[0]?.id ?? "");
    await waitFor(
      async () => {
        const page = shaped(deliveryPage, await (await call("/v1/deliveries?status=dead&limit=50")).json());
        return page.deliveries.length === 5 ? true : undefined;
      },
      30_000,
      "five dead letters",
    );
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const query: string = cursor === "" ? "" : `&cursor=${cursor}`;
      const page = shaped(
        deliveryPage,
        await (await call(`/v1/deliveries?status=dead&limit=2${query}`)).json(),
      );
      seen.push(...page.deliveries.map((d) => d.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...orderIds].sort().reverse());

    // One delivery read over HTTP is what `log show --json` prints for it.
    const detail = shaped(deliveryDetail, await (await call(`/v1/deliveries/${orderIds[0]}`)).json());
    const shown = await runBin(["--db", path, "log", "show", orderIds[0] ?? "", "--json"]);
    expect(detail).toEqual(JSON.parse(shown.stdout));
    const event = shaped(eventDetail, await (await call(`/v1/events/${posted[0]?.id}`)).json());
    expect(event.idempotencyKey).toBe("order-0");
    expect(event.deliveries.map((d) => d.id)).toEqual([orderIds[0]]);

    // Retry: the receiver is fixed, the dead letter is sent again at once and succeeds.
    ordersStatus = 200;
    const retried = await call(`/v1/deliveries/${orderIds[0]}/retry`, { method: "POST" });
    expect(retried.status).toBe(202);
    await waitFor(
      async () => {
        const now = shaped(deliveryDetail, await (await call(`/v1/deliveries/${orderIds[0]}`)).json());
        return now.delivery.status === "succeeded" ? now : undefined;
      },
      30_000,
      "the retried delivery to succeed",
    );

    // Operations: health without a token, metrics with one, and the counts agree with the log.
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${serve.url}/metrics`)).status).toBe(401);
    const metrics = await (await call("/metrics")).text();
    expect(metrics).toMatch(/^hookctl_events_accepted_total 7$/m);
    expect(metrics).toMatch(/^hookctl_events_duplicate_total 1$/m);
    expect(metrics).toMatch(/^hookctl_deliveries\{status="dead"\} 4$/m);
    expect(metrics).toMatch(/^hookctl_deliveries\{status="succeeded"\} 2$/m);

    const unknown = await call("/v1/deliveries/dlv_00000000000000000000000000");
    expect(unknown.status).toBe(404);
    expect(shaped(problem, await unknown.json()).status).toBe(404);
    expect(await serve.stop("SIGTERM")).toBe(0);
  }, 90_000);
});
