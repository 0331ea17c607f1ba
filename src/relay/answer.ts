import type { ServerResponse } from "node:http";

/** Thrown by a handler: the status and a one-line reason, sent as text/plain. */
export class RelayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(reason);
    this.name = "RelayRefusal";
  }
}

/** A short plain-text answer: providers log it, people read it in curl. */
export function answer(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = text === "" ? "" : `${text}\n`;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body !== "" && !res.hasHeader("Content-Type"))
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.writeHead(status);
  res.end(body);
}
