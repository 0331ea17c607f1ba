import { StringDecoder } from "node:string_decoder";

/** One server-sent event, as dispatched at its blank line. */
export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen so far (it carries over, as in EventSource), or null. */
  id: string | null;
}

/**
 * An incremental `text/event-stream` parser (the WHATWG rules): feed it chunks split anywhere
 * (inside a UTF-8 character, between CR and LF), get back the events they complete. Lines end
 * in LF, CR or CRLF; `:` lines are comments (heartbeats) and yield nothing; an event without
 * data is not dispatched.
 */
export class SseReader {
  readonly #decoder = new StringDecoder("utf8");
  #partial = "";
  #skipLf = false;
  #started = false;
  #data: string[] = [];
  #event = "";
  #id: string | null = null;

  feed(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.#decoder.write(chunk as Buffer);
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    if (this.#skipLf && text.length > 0) {
      this.#skipLf = false;
      if (text.charCodeAt(0) === 0x0a) start = 1;
    }
    // Searched once and again only when passed: a stream without CRs is not rescanned per line.
    let cr = text.indexOf("\r", start);
    while (start < text.length) {
      const lf = text.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      const line = this.#partial === "" ? text.slice(start, end) : this.#partial + text.slice(start, end);
      this.#partial = "";
      this.#line(line, events);
      if (end === cr) {
        if (end + 1 < text.length) start = text.charCodeAt(end + 1) === 0x0a ? end + 2 : end + 1;
        else {
          this.#skipLf = true;
          start = end + 1;
        }
      } else start = end + 1;
    }
    if (start < text.length) this.#partial += text.slice(start);
    return events;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        events.push({ event: this.#event || "message", data: this.#data.join("\n"), id: this.#id });
      }
      this.#data = [];
      this.#event = "";
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ":" comment
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (name === "data") this.#data.push(value);
    else if (name === "event") this.#event = value;
    else if (name === "id" && !value.includes("\0")) this.#id = value;
  }
}
