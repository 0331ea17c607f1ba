import { connect } from "node:net";
import { request } from "undici";
import { afterEach } from "vitest";
import { startReceiver } from "../../src/receiver/server.js";
import type {
  CaptureSink,
  Receiver,
  ReceiverDeps,
  ReceiverOptions,
  RequestEvent,
} from "../../src/receiver/types.js";
import { type SchemeName, sign } from "../../src/signing/index.js";
import type { ReceivedRecord } from "../../src/store/received.js";

const running: Receiver[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((receiver) => receiver.close()));
});

/** A receiver on 127.0.0.1:0 that records its request events; closed after the test. */
export async function startTestReceiver(options: ReceiverOptions = {}, deps: ReceiverDeps = {}) {
  const receiver = await startReceiver({ port: 0, ...options }, deps);
  running.push(receiver);
  const events: RequestEvent[] = [];
  receiver.on("request", (event) => events.push(event));
  return { receiver, events, url: receiver.url };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** POST exact bytes with exact headers; a fresh connection each time so tests do not share sockets. */
export async function post(url: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const response = await request(url, { method: "POST", body, headers, reset: true });
  const body_ = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body: body_ } satisfies Reply;
}

export const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Headers that sign `body` with `scheme` (timestamp defaults to now). */
export function signed(
  scheme: SchemeName,
  body: Uint8Array | string,
  options: { id?: string; timestamp?: number; secrets?: string[] } = {},
): Record<string, string> {
  return sign({
    scheme,
    body: typeof body === "string" ? Buffer.from(body) : body,
    secrets: options.secrets ?? [secret],
    id: options.id ?? "dlv_test_1",
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  }).headers;
}

/** Write raw bytes to the receiver's port and collect whatever comes back until it closes. */
export function rawExchange(port: number, data: string | Buffer, options: { endAfterWrite?: boolean } = {}) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET") resolve(Buffer.concat(chunks).toString("latin1"));
      else reject(error);
    });
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(data);
    if (options.endAfterWrite) socket.end();
  });
}

/** A capture sink whose commits the test settles by hand, one write at a time. */
export function manualCapture() {
  const writes: { record: ReceivedRecord; commit: () => void; fail: (error: Error) => void }[] = [];
  const capture: CaptureSink = {
    write: (record) =>
      new Promise<void>((resolve, reject) => {
        writes.push({ record, commit: resolve, fail: reject });
      }),
    flush: async () => {},
  };
  return { capture, writes };
}
