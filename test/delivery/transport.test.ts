import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAttempt } from "../../src/delivery/attempt.js";
import { proxySettings, Transport } from "../../src/delivery/transport.js";
import type { TlsSetting } from "../../src/store/types.js";
import { okReceiver, type Receiver } from "../helpers/receivers.js";
import { type HttpsTarget, httpsTarget, selfSignedCert, startProxy, type TestProxy } from "../helpers/tls.js";
import { tempDir } from "../helpers/tmp.js";

let pem: { cert: string; key: string };
beforeAll(() => {
  pem = selfSignedCert(tempDir());
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

function track<T extends { close(): Promise<void> }>(thing: T): T {
  open.push(thing);
  return thing;
}

const post = (url: string, tls: TlsSetting | null) => ({
  url,
  headers: { "Content-Type": "application/json", "X-Test": "1" },
  body: new TextEncoder().encode("{}"),
  timeoutMs: 5000,
  tls,
});

describe("proxySettings", () => {
  it("is null unless a proxy variable is set; lowercase wins; empty counts as unset", () => {
    expect(proxySettings({})).toBeNull();
    expect(proxySettings({ NO_PROXY: "localhost", HTTP_PROXY: "" })).toBeNull();
    expect(proxySettings({ HTTP_PROXY: "http://A:1", http_proxy: "http://a:1", NO_PROXY: "x" })).toEqual({
      httpProxy: "http://a:1",
      httpsProxy: "",
      noProxy: "x",
    });
    expect(proxySettings({ HTTPS_PROXY: "http://p:3128" })?.httpsProxy).toBe("http://p:3128");
  });
});

describe("Transport", () => {
  it("keeps one dispatcher per distinct TLS setting", async () => {
    const transport = track(new Transport());
    const plain = transport.dispatcherFor(null);
    expect(transport.dispatcherFor(null)).toBe(plain);
    const insecure = transport.dispatcherFor({ insecure: true, ca: null });
    expect(transport.dispatcherFor({ insecure: true, ca: null })).toBe(insecure);
    const ca = transport.dispatcherFor({ insecure: false, ca: pem.cert });
    expect(transport.dispatcherFor({ insecure: false, ca: `${pem.cert}` })).toBe(ca);
    expect(new Set([plain, insecure, ca]).size).toBe(3);
    expect(transport.size).toBe(3);
  });

  describe("against a self-signed HTTPS target", () => {
    let target: HttpsTarget;
    beforeAll(async () => {
      target = await httpsTarget(pem);
      return () => target.close();
    });

    it("fails verification by default, as a TLS error with the reason", async () => {
      const attempt = createAttempt({ now: Date.now, transport: track(new Transport()) });
      const outcome = await attempt(post(target.url, null));
      expect(outcome.statusCode).toBeNull();
      expect(outcome.errorClass).toBe("tls");
      expect(outcome.errorMessage).toMatch(/self.signed certificate/i);
    });

    it("succeeds with the certificate as CA, and with verification off", async () => {
      const attempt = createAttempt({ now: Date.now, transport: track(new Transport()) });
      expect((await attempt(post(target.url, { insecure: false, ca: pem.cert }))).statusCode).toBe(200);
      expect((await attempt(post(target.url, { insecure: true, ca: null }))).statusCode).toBe(200);
    });
  });

  describe("through a proxy", () => {
    let proxy: TestProxy;
    let receiver: Receiver;
    let target: HttpsTarget;
    beforeAll(async () => {
      proxy = await startProxy();
      receiver = await okReceiver();
      target = await httpsTarget(pem);
      return async () => {
        await Promise.all([proxy.close(), receiver.close(), target.close()]);
      };
    });

    it("relays http targets as absolute-form requests, without touching the recorded headers", async () => {
      const transport = track(new Transport({ proxy: proxySettings({ HTTP_PROXY: proxy.url }) }));
      const request = post(receiver.url, null);
      const outcome = await createAttempt({ now: Date.now, transport })(request);
      expect(outcome.statusCode).toBe(200);
      expect(proxy.forwarded).toContain(receiver.url);
      expect(receiver.requests.at(-1)?.headers["x-test"]).toBe("1");
      expect(Object.keys(request.headers)).toEqual(["Content-Type", "X-Test"]);
    });

    it("tunnels https targets with CONNECT, verifying the target with its own CA", async () => {
      const transport = track(new Transport({ proxy: proxySettings({ HTTPS_PROXY: proxy.url }) }));
      const attempt = createAttempt({ now: Date.now, transport });
      const before = proxy.tunnels.length;
      const refused = await attempt(post(target.url, null));
      expect(refused.errorClass).toBe("tls");
      expect((await attempt(post(target.url, { insecure: false, ca: pem.cert }))).statusCode).toBe(200);
      expect(proxy.tunnels.length).toBeGreaterThan(before);
      expect(proxy.tunnels.at(-1)).toBe(new URL(target.url).host);
    });

    it("goes direct for hosts in NO_PROXY", async () => {
      const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" };
      const transport = track(new Transport({ proxy: proxySettings(env) }));
      const attempt = createAttempt({ now: Date.now, transport });
      const seen = proxy.forwarded.length + proxy.tunnels.length;
      expect((await attempt(post(receiver.url, null))).statusCode).toBe(200);
      expect((await attempt(post(target.url, { insecure: true, ca: null }))).statusCode).toBe(200);
      expect(proxy.forwarded.length + proxy.tunnels.length).toBe(seen);
    });
  });
});
