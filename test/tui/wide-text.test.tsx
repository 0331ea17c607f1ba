import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { DeliveryList } from "../../src/tui/DeliveryList.js";
import { detailLines } from "../../src/tui/detail-lines.js";
import { clip, wrap } from "../../src/tui/format.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { tempDb } from "../helpers/tmp.js";
import { mount } from "./harness.js";
import { seedDelivery } from "./seed.js";
import { fixtureNow, summary as row } from "./summary.js";

const now = fixtureNow;

const rows = [
  row(0, { eventType: "注文.作成済み", endpointName: "🚀 orders" }),
  row(1, { eventType: "order.created", endpointName: "plain" }),
  // Wider than its column: cut on a character boundary, never half a wide character.
  row(2, {
    eventType: "注文.作成済み.注文.作成済み.注文.作成済み",
    endpointName: "請求書🧾サービス本番環境".repeat(4),
  }),
  row(3, { eventType: "café.crème", url: "https://例え.jp/フック" }),
];

describe("wide characters (CJK, emoji)", () => {
  for (const width of [100, 80]) {
    it(`keep every list row exactly ${width} columns wide, so the columns line up`, () => {
      const app = mount(
        <DeliveryList
          rows={rows}
          selectedId={rows[1]?.id ?? null}
          width={width}
          height={rows.length}
          now={now}
          showStatus={false}
          emptyMessage=""
        />,
      );
      const [, ...lines] = app.frame().split("\n");
      expect(lines).toHaveLength(rows.length);
      for (const line of lines) expect(stringWidth(line), line).toBe(width);
      expect(lines[0]).toContain("注文.作成済み");
      expect(lines[0]).toContain("🚀 orders");
      expect(lines[2]).toContain("…");
      // The id column starts at the same screen column in every row.
      const idColumn = (line: string) => stringWidth(line.slice(0, line.lastIndexOf("K0000")));
      expect(new Set(lines.map(idColumn)).size).toBe(1);
      app.unmount();
    });
  }

  it("clip counts columns, not characters", () => {
    for (const [text, width] of [
      ["注文", 3],
      ["注文字", 4],
      ["a注文", 4],
      ["🚀🚀🚀", 5],
      ["注文.作成済み", 20],
      ["plain", 8],
    ] as const) {
      const cut = clip(text, width);
      expect(stringWidth(cut), `${text} in ${width}`).toBe(width);
      expect(stringWidth(clip(text, width, "right"))).toBe(width);
    }
    expect(clip("注文字", 4)).toBe("注… ");
    expect(clip("注文.作成済み", 14)).toBe("注文.作成済み ");
  });

  it("wrap the detail at the width in columns, losing nothing", () => {
    const text = `Event       ${"注文.作成済み🚀".repeat(12)}`;
    const lines = wrap(text, 30);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(30);
    expect(lines.map((line, i) => (i === 0 ? line : line.slice(4))).join("")).toBe(text);
  });

  it("the detail screen's lines all fit a narrow terminal", async () => {
    const db = openDb(tempDb());
    const id = seedDelivery(db, {
      type: "注文.作成済み".repeat(6),
      endpoint: "🚀 注文サービス".repeat(4),
      url: "https://例え.jp/フック",
      body: Buffer.from(`{"名前":"${"山田太郎".repeat(10)}"}`),
      headers: { "x-tenant": "東京都".repeat(10) },
    });
    const detail = await createInspectStore(db, () => now).detail(id);
    db.close();
    if (!detail) throw new Error("not seeded");
    const lines = detailLines(detail, { width: 40, now });
    for (const line of lines) expect(stringWidth(line.text), line.text).toBeLessThanOrEqual(40);
    const text = lines.map((line) => line.text).join("");
    expect(text).toContain("山田太郎山田太郎");
    expect(text).toContain("東京都東京都");
  });
});
