import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { connect, type Socket } from "node:net";
import { join } from "node:path";

/** A self-signed certificate for 127.0.0.1, made with openssl in `dir`: paths and PEM texts. */
export function selfSignedCert(dir: string): {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
} {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-days",
      "1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

export interface HttpsTarget {
  url: string;
  /** Status codes answered so far, in order. */
  answered: number[];
  close(): Promise<void>;
}

/** An HTTPS receiver on 127.0.0.1:0 answering each POST with `statuses[i]` (the last one repeats). */
export async function httpsTarget(
  tls: { cert: string; key: string },
  statuses: readonly number[] = [200],
): Promise<HttpsTarget> {
  const answered: number[] = [];
  const server = createHttpsServer(tls, (req, res) => {
    req.resume();
    req.on("end", () => {
      const status = statuses[Math.min(answered.length, statuses.length - 1)] ?? 200;
      answered.push(status);
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "try later");
    });
  });
  const url = await listen(server, "https");
  return { url: `${url}/hooks`, answered, close: () => closeServer(server) };
}

export interface TestProxy {
  url: string;
  /** Absolute-form requests relayed (http:// targets), by target URL. */
  forwarded: string[];
  /** CONNECT tunnels opened (https:// targets), by host:port. */
  tunnels: string[];
  close(): Promise<void>;
}

/** A small HTTP proxy on 127.0.0.1:0: absolute-form requests for http://, CONNECT for https://. */
export async function startProxy(): Promise<TestProxy> {
  const forwarded: string[] = [];
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    const target = new URL(req.url ?? "");
    forwarded.push(target.href);
    const upstream = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    }
  });
  const url = await listen(server, "http");
  return {
    url,
    forwarded,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

async function listen(server: Server | HttpsServer, protocol: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `${protocol}://127.0.0.1:${address.port}`;
}

function closeServer(server: Server | HttpsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
