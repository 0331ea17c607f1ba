import { request } from "node:https";
import { describe, expect, it } from "vitest";
import { selfSignedCert } from "../helpers/tls.js";
import { tempDir } from "../helpers/tmp.js";
import { readStream, testRelay } from "./server-support.js";

function postHttps(url: string, body: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", ca }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("relay server over HTTPS", () => {
  it("takes requests and serves streams with a certificate", async () => {
    const tls = selfSignedCert(tempDir());
    const relay = await testRelay({ tls: { cert: tls.cert, key: tls.key } });
    expect(relay.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const token = relay.addChannel("gh");
    expect(await postHttps(`${relay.url}/c/gh/x`, "secure", tls.cert)).toBe(200);
    const stream = await readStream(`${relay.url}/_relay/v1/channels/gh/stream?after=0`, token, tls.cert);
    const [stored] = await stream.waitForRequests(1);
    expect(Buffer.from(stored?.bodyBase64 ?? "", "base64").toString()).toBe("secure");
    await expect(postHttps(`${relay.url}/c/gh`, "untrusted", "")).rejects.toThrow();
  });
});
