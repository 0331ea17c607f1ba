import { describe, expect, it, onTestFinished } from "vitest";
import { type LogHandle, openLog } from "../../../src/store/log-handle.js";
import { deliveryReadsOf } from "../../../src/store/ports/deliveries.js";
import { queueStoreOf } from "../../../src/store/ports/queue.js";
import { writeScenario } from "../../helpers/log-scenario.js";
import { postgresForFile } from "../../helpers/pg.js";
import { tempDb } from "../../helpers/tmp.js";

const pg = postgresForFile();

async function opened(target: string): Promise<LogHandle> {
  const log = await openLog(target);
  onTestFinished(() => log.close());
  return log;
}

describe("requeue's TLS columns on both backends", () => {
  it("a new TLS setting, a redirect elsewhere and a fresh copy leave the same TLS on each", async () => {
    const outcomes = [];
    for (const target of [tempDb(), await pg.database()]) {
      const log = await opened(target);
      const s = await writeScenario(log);
      const queue = queueStoreOf(log);
      onTestFinished(() => queue.close());
      const reads = deliveryReadsOf(log);
      const [first, second] = s.dead as [string, string];
      const plain = s.succeeded;
      const third = s.deadBare;
      const now = Date.now();
      // The scenario's targets are http://: the settings go with a move to https on the same host.
      const to = "https://127.0.0.1:9/hook";
      await queue.requeueDeliveries([first], { now, to, tls: { insecure: false, ca: "PEM" } });
      await queue.requeueDeliveries([second], { now, to, tls: { insecure: true, ca: null } });
      await queue.requeueDeliveries([second], { now, to: "https://127.0.0.1:10/elsewhere" });
      await queue.requeueDeliveries([third], { now, to, tls: { insecure: true, ca: null } });
      // A plain-HTTP target has no use for one: it keeps its own (none).
      await queue.requeueDeliveries([plain], { now, tls: { insecure: true, ca: null } });
      const [copy] = await queue.requeueDeliveries([third], {
        now,
        newId: () => "dlv_COPY0000000000000000000001",
      });
      const [moved] = await queue.requeueDeliveries([third], {
        now,
        to: "https://127.0.0.1:11/",
        newId: () => "dlv_COPY0000000000000000000002",
      });
      const tls = async (id: string) => (await reads.getDelivery(id))?.tls;
      outcomes.push([
        await tls(first),
        await tls(second),
        await tls(third),
        copy?.outcome === "requeued" ? await tls(copy.deliveryId) : "none",
        moved?.outcome === "requeued" ? await tls(moved.deliveryId) : "none",
        await tls(plain),
      ]);
    }
    expect(outcomes[0]).toEqual([
      { insecure: false, ca: "PEM" },
      null,
      { insecure: true, ca: null },
      { insecure: true, ca: null },
      null,
      null,
    ]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  });
});
