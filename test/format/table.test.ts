import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { table } from "../../src/format/table.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is stripped
const stripAnsi = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, "");
/** The screen column where `needle` starts on each line. */
const columnOf = (line: string, needle: string) =>
  stringWidth(stripAnsi(line).slice(0, stripAnsi(line).indexOf(needle)));

describe("table", () => {
  it("lines columns up by display width with CJK and emoji cells", () => {
    const lines = table(
      [{ header: "event" }, { header: "target" }],
      [
        ["注文.作成", "@1"],
        ["🎉.party", "@2"],
        ["order.created", "@3"],
      ],
    );
    expect(lines).toEqual([
      "event          target",
      "注文.作成      @1",
      "🎉.party       @2",
      "order.created  @3",
    ]);
    expect(lines.map((line, i) => columnOf(line, i === 0 ? "target" : "@"))).toEqual([15, 15, 15, 15]);
  });

  it("ignores ANSI colour inside cells when measuring, and keeps it", () => {
    const red = (text: string) => `\u001B[31m${text}\u001B[39m`;
    const lines = table(
      [{ header: "status" }, { header: "id" }],
      [
        [red("dead"), "dlv_1"],
        ["succeeded", "dlv_2"],
      ],
    );
    expect(lines[1]).toBe(`${red("dead")}       dlv_1`);
    expect(lines.map((line, i) => columnOf(line, i === 0 ? "id" : "dlv_"))).toEqual([11, 11, 11]);
  });

  it("right-aligns where asked, paints the header, and ends no line in padding", () => {
    const lines = table(
      [{ header: "retry", align: "right" }, { header: "delay" }, { header: "note" }],
      [
        ["1", "1s", ""],
        ["10", "1h", "cap"],
      ],
      { header: (text) => `<${text}>` },
    );
    expect(lines).toEqual(["<retry  delay  note>", "    1  1s", "   10  1h     cap"]);
  });
});

describe("table at scale", () => {
  it("lays out 200,000 rows (no argument spread to overflow the stack)", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`dlv_${i}`, i === 123_456 ? "wider cell" : "x"]);
    const lines = table([{ header: "id" }, { header: "v" }], rows);
    expect(lines).toHaveLength(200_001);
    expect(lines[0]).toBe("id          v");
    expect(lines[1]).toBe("dlv_0       x");
  });
});
