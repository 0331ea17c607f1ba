import { describe, expect, it, vi } from "vitest";
import { deliveryDetailJson } from "../../src/contract/delivery.js";
import { deliveryDetail } from "../../src/contract/schema/delivery.js";
import type { DeliveryDetail as StoredDetail } from "../../src/store/deliveries.js";
import type { AttemptRow, DeliveryRow } from "../../src/store/types.js";
import { ConfirmDialog } from "../../src/tui/ConfirmDialog.js";
import { DeliveryDetail } from "../../src/tui/DeliveryDetail.js";
import { DeliveryList } from "../../src/tui/DeliveryList.js";
import type { DeliveryDetailData } from "../../src/tui/detail-lines.js";
import { FilterBar } from "../../src/tui/FilterBar.js";
import { Footer } from "../../src/tui/Footer.js";
import { HelpOverlay } from "../../src/tui/HelpOverlay.js";
import { KEY } from "../../src/tui/keys.js";
import { StatusTabs } from "../../src/tui/StatusTabs.js";
import { shaped } from "../helpers/contract.js";
import { mount } from "./harness.js";
import { fixtureNow, summary } from "./summary.js";

const now = fixtureNow;

const lines = (frame: string) => frame.split("\n");

describe("StatusTabs", () => {
  it("shows every tab with its count and brackets the active one", () => {
    const app = mount(
      <StatusTabs
        active="pending"
        counts={{ dead: 100_000, pending: 2, in_flight: 0, succeeded: 7, all: 100_009 }}
        width={100}
      />,
    );
    expect(app.frame()).toBe(" Dead 100,000  [Pending 2]  In flight 0   Succeeded 7   All 100,009");
    app.unmount();
  });

  it("abbreviates when the terminal is narrow", () => {
    const app = mount(
      <StatusTabs
        active="dead"
        counts={{ dead: 3, pending: 2, in_flight: 1, succeeded: 7, all: 13 }}
        width={44}
      />,
    );
    expect(app.frame()).toContain("[Dead 3]");
    expect(app.frame()).toContain("In f 1");
    expect(app.frame().length).toBeLessThanOrEqual(44);
    app.unmount();
  });
});

describe("DeliveryList", () => {
  const rows = [
    summary(0),
    summary(1, { endpointName: "orders-prod", lastStatusCode: null, lastErrorClass: "timeout" }),
  ];

  it("shows age, event, endpoint or URL, attempts, last result and short id at 100 columns", () => {
    const app = mount(
      <DeliveryList
        rows={rows}
        selectedId={rows[1]?.id ?? null}
        width={100}
        height={5}
        now={now}
        showStatus={false}
        emptyMessage="none"
      />,
    );
    const [header, first, second] = lines(app.frame());
    expect(header).toMatch(/AGE\s+EVENT\s+ENDPOINT \/ URL\s+TRY\s+LAST\s+ID/);
    expect(first).toMatch(
      /^ {4}1m order\.created\.0\s+https:\/\/api\.example\.com\/webhooks\/orders\s+11 503\s+JK000000$/,
    );
    expect(second).toMatch(/^› {3}2m order\.created\.1\s+orders-prod\s+11 timeout\s+JK000001$/);
    for (const line of lines(app.frame())) expect(line.length).toBeLessThanOrEqual(100);
    app.unmount();
  });

  it("drops the id, attempts and age columns as the width shrinks, and adds status on the all tab", () => {
    const header = (width: number) => {
      const app = mount(
        <DeliveryList
          rows={rows}
          selectedId={null}
          width={width}
          height={3}
          now={now}
          showStatus={false}
          emptyMessage=""
        />,
      );
      const text = lines(app.frame())[0] ?? "";
      app.unmount();
      return text;
    };
    expect(header(79)).toMatch(/^ {3}AGE EVENT\s+ENDPOINT \/ URL\s+TRY LAST$/);
    expect(header(51)).toMatch(/^ {3}AGE EVENT\s+ENDPOINT \/ URL\s+LAST$/);
    expect(header(43)).toMatch(/^ {2}EVENT\s+ENDPOINT \/ URL\s+LAST$/);
    const all = mount(
      <DeliveryList
        rows={rows}
        selectedId={null}
        width={120}
        height={3}
        now={now}
        showStatus
        emptyMessage=""
      />,
    );
    expect(lines(all.frame())[0]).toMatch(/LAST\s+STATUS\s+ID/);
    expect(lines(all.frame())[1]).toMatch(/503\s+dead\s+/);
    all.unmount();
  });

  it("says so when there is nothing to show", () => {
    const app = mount(
      <DeliveryList
        rows={[]}
        selectedId={null}
        width={80}
        height={4}
        now={now}
        showStatus={false}
        emptyMessage="No dead letters."
      />,
    );
    expect(app.frame()).toContain("No dead letters.");
    app.unmount();
  });
});

/** The detail screen's data as inspect gets it: store rows through the contract's mapper. */
function detailData(
  extra: Partial<DeliveryRow> = {},
  body?: Buffer,
  contentType = "application/json",
): DeliveryDetailData {
  return shaped(deliveryDetail, deliveryDetailJson(storedDetail(extra, body, contentType)));
}

function storedDetail(
  extra: Partial<DeliveryRow>,
  body: Buffer | undefined,
  contentType: string,
): StoredDetail {
  const id = "dlv_01JN8S0D402J92XQN6TV6J8YF9";
  const attempt = (number: number, fields: Partial<AttemptRow>): AttemptRow => ({
    id: number,
    deliveryId: id,
    number,
    trigger: number === 1 ? "initial" : "scheduled",
    url: "https://api.example.com/hook",
    requestHeaders: {
      "content-type": "application/json",
      "x-signature": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012345",
      authorization: "Bearer sk_live_abcdefghijklmnop",
    },
    startedAt: now - 120_000 + number * 1000,
    durationMs: 12.4,
    statusCode: 503,
    responseHeaders: null,
    responseBody: Buffer.from('{"error":\n  "upstream unavailable"}'),
    responseTruncated: false,
    errorClass: "http",
    errorMessage: "HTTP 503",
    damage: null,
    ...fields,
  });
  return {
    delivery: {
      id,
      eventId: "evt_01JN8S0D40TYPG46XQCAT91NZH",
      endpointId: null,
      url: "https://api.example.com/hook",
      scheme: "hookctl",
      extraHeaders: {},
      secrets: null,
      policy: "{}",
      timeoutMs: 5000,
      status: "dead",
      attemptCount: 3,
      scheduleAttempts: 3,
      nextAttemptAt: null,
      nextTrigger: "scheduled",
      leaseToken: null,
      leaseExpiresAt: null,
      lastStatusCode: null,
      lastErrorClass: "timeout",
      lastError: "timed out after 5000 ms",
      createdAt: now - 180_000,
      updatedAt: now,
      completedAt: now,
      damage: null,
      tls: null,
      ...extra,
    },
    event: {
      id: "evt_01JN8S0D40TYPG46XQCAT91NZH",
      type: "invoice.paid",
      body: body ?? Buffer.from('{"id":"in_1","amount":4200,"lines":[1,2]}'),
      contentType,
      createdAt: now - 180_000,
    },
    endpointName: "billing",
    attempts: [
      attempt(1, {}),
      attempt(2, {
        trigger: "manual",
        statusCode: null,
        responseBody: null,
        errorClass: "refused",
        errorMessage: "connect ECONNREFUSED 127.0.0.1:9",
      }),
      attempt(3, {
        statusCode: null,
        responseBody: null,
        errorClass: "timeout",
        errorMessage: "timed out after 5000 ms",
        durationMs: 5003,
      }),
    ],
    secrets: [],
  };
}

describe("DeliveryDetail", () => {
  it("shows the event, endpoint, masked request headers, pretty JSON body and the attempt timeline", () => {
    const app = mount(<DeliveryDetail detail={detailData()} width={100} height={60} scroll={0} now={now} />);
    const frame = app.frame();
    expect(frame).toContain("invoice.paid → billing");
    expect(frame).toContain("Event       evt_01JN8S0D40TYPG46XQCAT91NZH  invoice.paid");
    expect(frame).toContain("Endpoint    billing  https://api.example.com/hook");
    expect(frame).toMatch(/Created {5}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\(3m ago\)/);
    expect(frame).toContain("dead after 3 attempts");
    // The contract's masking: credentials keep a short prefix; a signature proves, it grants nothing.
    expect(frame).toContain("authorization: Bearer sk_l…");
    expect(frame).not.toContain("sk_live_abcdefghijklmnop");
    expect(frame).toContain("x-signature: 9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012345");
    expect(frame).toContain('    "amount": 4200,');
    expect(frame).toMatch(/#1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+initial\s+HTTP 503\s+12 ms\n/);
    // A failed answer's body is shown under its attempt, re-indented.
    expect(frame).toContain(
      [
        "       response 503 · 35 bytes",
        "       {",
        '         "error": "upstream unavailable"',
        "       }",
      ].join("\n"),
    );
    expect(frame).toMatch(/#2 .* manual\s+refused\s+12 ms\s+connect ECONNREFUSED 127\.0\.0\.1:9/);
    expect(frame).toMatch(/#3 .* scheduled\s+timeout\s+5003 ms\s+timed out/);
    expect(frame).not.toContain("Next");
    app.unmount();
  });

  it("shows at most eight lines of a failed answer's body, wrapped to the width, and how many more", () => {
    const page = Array.from({ length: 30 }, (_, i) => `line ${i + 1} ${"x".repeat(i === 0 ? 70 : 0)}`).join(
      "\n",
    );
    const data = detailData();
    const first = data.attempts[0];
    if (!first) throw new Error("no attempt");
    data.attempts = [
      {
        ...first,
        statusCode: 401,
        responseHeaders: [{ name: "Content-Type", value: "text/plain" }],
        responseBody: `\u001b[31m${page}`,
      },
    ];
    const app = mount(<DeliveryDetail detail={data} width={60} height={80} scroll={0} now={now} />);
    const frame = app.frame();
    const after = frame.slice(frame.indexOf("#1 "));
    expect(after).toContain("response 401 · text/plain");
    expect(after).toContain("       ·[31mline 1 xxxxxxxxxx");
    // Line 1 wraps onto a second screen line; the escape is shown, never sent to the terminal.
    expect(after).toMatch(/\n {9}x+\n {7}line 2\n/);
    expect(after).toContain("       line 7");
    expect(after).not.toContain("line 8");
    expect(after).toContain("       … 23 more lines");
    for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(60);
    app.unmount();
  });

  it("shows when a pending delivery runs next", () => {
    const data = detailData({ status: "pending", nextAttemptAt: now + 95_000, nextTrigger: "manual" });
    const app = mount(<DeliveryDetail detail={data} width={100} height={40} scroll={0} now={now} />);
    expect(app.frame()).toMatch(/Next\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\(in 1m, manual\)/);
    app.unmount();
  });

  it("shows a binary body as a hex preview", () => {
    const body = Buffer.from([
      0x00,
      0x01,
      0x02,
      0xff,
      0x48,
      0x69,
      ...Array.from({ length: 20 }, (_, i) => i),
    ]);
    const app = mount(
      <DeliveryDetail
        detail={detailData({}, body, "application/octet-stream")}
        width={100}
        height={60}
        scroll={0}
        now={now}
      />,
    );
    expect(app.frame()).toContain("Body (binary, 26 bytes, application/octet-stream)");
    expect(app.frame()).toContain(
      "00000000  00 01 02 ff 48 69 00 01 02 03 04 05 06 07 08 09  |....Hi..........|",
    );
    expect(app.frame()).toContain("00000010  0a 0b 0c 0d 0e 0f 10 11 12 13");
    app.unmount();
  });

  it("scrolls by line, clamps past the end, and says where it is", () => {
    const data = detailData();
    const top = mount(<DeliveryDetail detail={data} width={100} height={8} scroll={0} now={now} />);
    expect(lines(top.frame())[1]).toContain("Delivery");
    expect(top.frame()).toMatch(/lines 1-6 of \d+/);
    top.unmount();
    const bottom = mount(<DeliveryDetail detail={data} width={100} height={8} scroll={999} now={now} />);
    expect(bottom.frame()).toContain("#3 ");
    expect(bottom.frame()).not.toContain("Delivery  ");
    const total = Number(/of (\d+)/.exec(bottom.frame())?.[1]);
    expect(bottom.frame()).toContain(`lines ${total - 5}-${total} of ${total}`);
    bottom.unmount();
  });

  it("says the delivery is gone when it was purged elsewhere", () => {
    const app = mount(<DeliveryDetail detail={undefined} width={80} height={5} scroll={0} now={now} />);
    expect(app.frame()).toContain("This delivery is gone");
    app.unmount();
  });
});

describe("ConfirmDialog", () => {
  it("confirms on y alone; Enter, n, Esc and any other key cancel", async () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    const app = mount(
      <ConfirmDialog
        title="Purge dlv_1?"
        lines={["It is deleted."]}
        width={60}
        onConfirm={onConfirm}
        onCancel={onCancel}
      />,
    );
    await app.waitForFrame("Purge dlv_1?");
    expect(app.frame()).toContain("y yes   any other key no");
    await app.press(KEY.enter, "n", KEY.escape, "x", KEY.down);
    expect(onConfirm).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalledTimes(5);
    await app.press("y", "Y");
    expect(onConfirm).toHaveBeenCalledTimes(2);
    app.unmount();
  });
});

describe("FilterBar", () => {
  it("edits the text as keys arrive, and submits or cancels", async () => {
    const changes: string[] = [];
    const onSubmit = vi.fn();
    const onCancel = vi.fn();
    const app = mount(
      <FilterBar
        value=""
        editing
        width={60}
        onChange={(v) => changes.push(v)}
        onSubmit={onSubmit}
        onCancel={onCancel}
      />,
    );
    await app.press("o", "r", "d", KEY.backspace, "x");
    expect(changes).toEqual(["o", "or", "ord", "or", "orx"]);
    await app.press(KEY.enter);
    expect(onSubmit).toHaveBeenCalledWith("orx");
    await app.press(KEY.escape);
    expect(onCancel).toHaveBeenCalledOnce();
    app.unmount();
  });

  it("shows the filter in force and how many rows match", () => {
    const app = mount(
      <FilterBar
        value="order"
        editing={false}
        width={80}
        matching={{ count: 9999, capped: true }}
        onChange={() => {}}
        onSubmit={() => {}}
        onCancel={() => {}}
      />,
    );
    expect(app.frame()).toBe("/order  9,999+ matching  (/ edit, Esc clear)");
    app.unmount();
  });
});

describe("Footer and HelpOverlay", () => {
  it("lists the keys that work on each screen", () => {
    const list = mount(<Footer mode="list" width={100} message={{ text: "requeued dlv_1", tone: "ok" }} />);
    expect(lines(list.frame())).toEqual([
      "requeued dlv_1",
      "↑↓/jk move  Enter open  Tab status  / filter  r retry  R requeue  d purge  ? help  q quit",
    ]);
    list.unmount();
    const detail = mount(<Footer mode="detail" width={100} />);
    expect(detail.frame()).toContain("↑↓/jk scroll  Esc back  r retry  R requeue  d purge  ? help  q quit");
    detail.unmount();
    const confirm = mount(<Footer mode="confirm" width={100} />);
    expect(confirm.frame()).toContain("y yes  any other key no");
    confirm.unmount();
  });

  it("the help names every key", () => {
    const app = mount(<HelpOverlay width={80} height={30} />);
    for (const key of [
      "↑/k",
      "↓/j",
      "PgUp",
      "PgDn",
      "g ",
      "G ",
      "Enter",
      "Esc",
      "Tab",
      "/",
      "r ",
      "R ",
      "d ",
      "?",
      "q ",
    ]) {
      expect(app.frame()).toContain(key);
    }
    app.unmount();
  });
});
