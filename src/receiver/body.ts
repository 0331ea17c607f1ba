import type { IncomingMessage } from "node:http";

export type BodyResult = { kind: "ok"; body: Buffer } | { kind: "too-large" } | { kind: "aborted" };

/**
 * Read the whole body as bytes, up to `max`. A declared Content-Length over the limit is refused
 * before reading anything; a chunked body is cut off as soon as it passes the limit.
 */
export function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ kind: "too-large" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        finish({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () =>
      finish({ kind: "ok", body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) }),
    );
    req.once("error", () => finish({ kind: "aborted" }));
    req.once("close", () =>
      finish(req.complete ? { kind: "ok", body: Buffer.concat(chunks, size) } : { kind: "aborted" }),
    );
  });
}
