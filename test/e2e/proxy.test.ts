import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBin } from "../helpers/bin.js";
import { listenBin } from "../helpers/listen-bin.js";
import { okReceiver, type Receiver } from "../helpers/receivers.js";
import { type HttpsTarget, httpsTarget, selfSignedCert, startProxy, type TestProxy } from "../helpers/tls.js";
import { tempDb } from "../helpers/tmp.js";

let proxy: TestProxy;
let receiver: Receiver;
let target: HttpsTarget;
let certDir: string;
let certPath: string;
beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "hookctl-proxy-"));
  const pem = selfSignedCert(certDir);
  certPath = pem.certPath;
  [proxy, receiver, target] = await Promise.all([startProxy(), okReceiver(), httpsTarget(pem)]);
});
afterAll(async () => {
  await Promise.all([proxy.close(), receiver.close(), target.close()]);
  rmSync(certDir, { recursive: true, force: true });
});

const relayed = () => proxy.forwarded.length + proxy.tunnels.length;
// Variables from the test runner's own environment must not decide where requests go.
const noProxyEnv = {
  HTTP_PROXY: "",
  http_proxy: "",
  HTTPS_PROXY: "",
  https_proxy: "",
  NO_PROXY: "",
  no_proxy: "",
};

describe("proxies from the environment (built binary)", () => {
  it("HTTP_PROXY relays http:// deliveries (absolute-form), replays included", async () => {
    const env = { ...noProxyEnv, HOOKCTL_DB: tempDb(), HTTP_PROXY: proxy.url };
    const before = proxy.forwarded.length;
    const sent = await runBin(["send", receiver.url], { env });
    expect(sent.code).toBe(0);
    expect(proxy.forwarded.slice(before)).toEqual([receiver.url]);
    const log = JSON.parse((await runBin(["log", "--json"], { env })).stdout);
    const replay = await runBin(["replay", log.id], { env });
    expect(replay.code).toBe(0);
    expect(proxy.forwarded.length).toBe(before + 2);
  });

  it("HTTPS_PROXY tunnels https:// deliveries with CONNECT, the target verified by its own --ca", async () => {
    const env = { ...noProxyEnv, HOOKCTL_DB: tempDb(), https_proxy: proxy.url };
    const before = proxy.tunnels.length;
    const sent = await runBin(["send", target.url, "--ca", certPath], { env });
    expect(sent.code).toBe(0);
    expect(proxy.tunnels.slice(before)).toEqual([new URL(target.url).host]);
    const unverified = await runBin(["send", target.url], { env });
    expect(unverified.code).toBe(1);
    expect(unverified.stdout).toMatch(/^✗ tls /);
  });

  it("NO_PROXY=127.0.0.1 goes direct", async () => {
    const env = { ...noProxyEnv, HOOKCTL_DB: tempDb(), HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
    const before = relayed();
    expect((await runBin(["send", receiver.url], { env: { ...env, NO_PROXY: "127.0.0.1" } })).code).toBe(0);
    expect(
      (await runBin(["send", target.url, "--insecure"], { env: { ...env, no_proxy: "127.0.0.1" } })).code,
    ).toBe(0);
    expect(relayed()).toBe(before);
  });

  it("listen --forward-to goes direct: the app is local, whatever the proxy variables say", async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    const listener = await listenBin(tempDb(), ["--forward-to", receiver.url]).finally(() => {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    });
    try {
      const before = relayed();
      const seen = receiver.requests.length;
      const sent = await runBin(["send", listener.url], { env: { ...noProxyEnv, HOOKCTL_DB: tempDb() } });
      expect(sent.code).toBe(0);
      expect(receiver.requests.length).toBe(seen + 1);
      expect(relayed()).toBe(before);
    } finally {
      await listener.stop();
    }
  });
});
