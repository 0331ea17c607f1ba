import { describe, expect, it } from "vitest";
import { type SseEvent, SseReader } from "../../src/relay/sse-reader.js";

/** Feed `text` to a fresh reader cut at the given offsets (as bytes), collecting every event. */
function readInPieces(bytes: Buffer, cuts: number[]): SseEvent[] {
  const reader = new SseReader();
  const events: SseEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...reader.feed(bytes.subarray(start, cut)));
    start = cut;
  }
  return events;
}

const stream = Buffer.from(
  [
    ": ping",
    "",
    "id: 1",
    "event: request",
    'data: {"seq":1,"text":"héllo ✓"}',
    "",
    ": ping",
    "id: 2",
    "event: request",
    "data: first line",
    "data: second line",
    "data",
    "",
    "event: caught-up",
    'data: {"seq":2}',
    "",
    "",
  ].join("\n"),
);

const expected: SseEvent[] = [
  { event: "request", data: '{"seq":1,"text":"héllo ✓"}', id: "1" },
  { event: "request", data: "first line\nsecond line\n", id: "2" },
  { event: "caught-up", data: '{"seq":2}', id: "2" },
];

describe("SseReader", () => {
  it("reads events, multi-line data and comments in one chunk", () => {
    expect(readInPieces(stream, [])).toEqual(expected);
  });

  it("gives the same events whichever byte the chunks are cut at (inside UTF-8 characters too)", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(readInPieces(stream, [cut])).toEqual(expected);
    }
    expect(
      readInPieces(
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it("accepts CRLF and lone CR line ends, also split between CR and LF", () => {
    const crlf = Buffer.from(stream.toString("utf8").replaceAll("\n", "\r\n"));
    const cr = Buffer.from(stream.toString("utf8").replaceAll("\n", "\r"));
    for (const bytes of [crlf, cr]) {
      expect(readInPieces(bytes, [])).toEqual(expected);
      for (let cut = 1; cut < bytes.length; cut++) expect(readInPieces(bytes, [cut])).toEqual(expected);
    }
  });

  it("keeps an event that has no blank line yet for the next chunk, and skips data-less events", () => {
    const reader = new SseReader();
    expect(reader.feed("event: request\ndata: x")).toEqual([]);
    expect(reader.feed("\n")).toEqual([]);
    expect(reader.feed("\n")).toEqual([{ event: "request", data: "x", id: null }]);
    expect(reader.feed("event: nothing\n\n: only a comment\n\n")).toEqual([]);
    expect(reader.feed("data:no space\n\n")).toEqual([{ event: "message", data: "no space", id: null }]);
  });

  it("skips a leading byte order mark", () => {
    const reader = new SseReader();
    expect(reader.feed(Buffer.from([0xef, 0xbb]))).toEqual([]);
    expect(reader.feed(Buffer.from([0xbf, ...Buffer.from("data: a\n\n")]))).toEqual([
      { event: "message", data: "a", id: null },
    ]);
  });
});
