import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { indentJson } from "../../src/format/json-indent.js";

describe("indentJson", () => {
  it("keeps numbers exactly as written", () => {
    expect(indentJson('{"id":12345678901234567890,"a":1.0,"b":1e400,"c":-0,"d":2.50E-3}')).toBe(
      '{\n  "id": 12345678901234567890,\n  "a": 1.0,\n  "b": 1e400,\n  "c": -0,\n  "d": 2.50E-3\n}',
    );
    expect(indentJson("12345678901234567890")).toBe("12345678901234567890");
    expect(indentJson("[0.10000000000000000001]")).toBe("[\n  0.10000000000000000001\n]");
  });

  it("keeps strings with their escapes and raw unicode", () => {
    const text = String.raw`{"e":"\u00e9","raw":"é","q":"a\"b\\c\/d","ctl":"\b\f\n\r\t","s":"\ud83d\ude00😀"}`;
    expect(indentJson(text)).toBe(
      [
        "{",
        String.raw`  "e": "\u00e9",`,
        '  "raw": "é",',
        String.raw`  "q": "a\"b\\c\/d",`,
        String.raw`  "ctl": "\b\f\n\r\t",`,
        String.raw`  "s": "\ud83d\ude00😀"`,
        "}",
      ].join("\n"),
    );
    // A lone surrogate (JSON.parse takes one) comes back as it was, not as U+FFFD.
    expect(indentJson('["\ud800x"]')).toBe('[\n  "\ud800x"\n]');
    // Punctuation inside strings is not structure.
    expect(indentJson('["a,b", "{[:]}"]')).toBe('[\n  "a,b",\n  "{[:]}"\n]');
  });

  it("keeps key order and duplicate keys", () => {
    expect(indentJson('{"b":1,"a":2,"b":3}')).toBe('{\n  "b": 1,\n  "a": 2,\n  "b": 3\n}');
  });

  it("lays out nested and empty containers as JSON.stringify(value, null, 2) does", () => {
    const text = '{"a":[1,{"b":[]},{}],"c":{"d":[[true,false,null]]},"e":[ ],"f":{ \n }}';
    expect(indentJson(text)).toBe(JSON.stringify(JSON.parse(text), null, 2));
    expect(indentJson("[]")).toBe("[]");
    expect(indentJson("{}")).toBe("{}");
    expect(indentJson("[[]]")).toBe("[\n  []\n]");
  });

  it("ignores whitespace between tokens, in every JSON form, and takes a custom indent", () => {
    const spaced = ' \r\n\t{ "a" :\t[ 1 ,\r\n 2 ] ,"b"\n:\n"x y" } \n';
    expect(indentJson(spaced)).toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x y"\n}');
    expect(indentJson('{"a":[1]}', "\t")).toBe('{\n\t"a": [\n\t\t1\n\t]\n}');
    expect(indentJson("  true ")).toBe("true");
  });

  it("refuses what is not exactly one JSON value", () => {
    const invalid = [
      "",
      "   ",
      "not json",
      "{",
      "[1,]",
      "[1 2]",
      '{"a":1,}',
      '{"a" 1}',
      "{a:1}",
      "{'a':1}",
      '{"a":1}}',
      "[1]]",
      "[1}",
      '{"a":1]',
      "01",
      "[-]",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "NaN",
      "Infinity",
      "tru",
      "truex",
      "nul",
      '"unterminated',
      '"bad \\x escape"',
      '"bad \\u12G4"',
      '"short \\u12"',
      '"raw\ttab"',
      '"raw\nnewline"',
      "[1] [2]",
      "\u00a0[1]",
      "\ufeff[1]",
    ];
    for (const text of invalid) expect(indentJson(text), JSON.stringify(text)).toBeUndefined();
  });

  it("handles 10,000 levels of nesting without recursion, and caps the indentation", () => {
    const depth = 10_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const lines = indentJson(deep)?.split("\n") ?? [];
    expect(lines).toHaveLength(2 * depth - 1);
    expect(lines[0]).toBe("[");
    expect(lines[depth - 1]?.trim()).toBe("[]");
    // Indentation stops growing, so the output stays linear in the input.
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(2 * 32 + 2);
    expect(indentJson(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)).toBeDefined();
    expect(indentJson("[".repeat(depth))).toBeUndefined();
    expect(indentJson(`${"[".repeat(depth)}${"]".repeat(depth - 1)}`)).toBeUndefined();
  });

  it("re-indents a multi-megabyte body", () => {
    const items = Array.from(
      { length: 50_000 },
      (_, i) => `{"id":9${i}00000000000000000001,"name":"n\\u00e9${i}"}`,
    );
    const text = `[${items.join(",")}]`;
    expect(text.length).toBeGreaterThan(2_000_000);
    const shown = indentJson(text);
    expect(shown?.split("\n")).toHaveLength(50_000 * 4 + 2);
    expect(shown).toContain('"id": 94999900000000000000000001,');
  });

  it("agrees with JSON.parse on which texts are JSON, and with JSON.stringify on layout", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(indentJson(text)).toBe(JSON.stringify(JSON.parse(text), null, 2));
      }),
    );
    const edited = fc
      .tuple(fc.json(), fc.nat(), fc.nat(3), fc.constantFrom(...'{}[]",: 0-.eE\\tn'))
      .map(([text, at, cut, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    fc.assert(
      fc.property(edited, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const shown = indentJson(text);
        expect(shown !== undefined).toBe(valid);
        if (shown !== undefined) expect(JSON.parse(shown)).toEqual(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
  });
});
