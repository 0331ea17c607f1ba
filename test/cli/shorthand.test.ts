import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { looksLikeUrl } from "../../src/cli/actions/send-input.js";
import { expandShorthand, parseHttpUrl } from "../../src/cli/urls.js";
import { UsageError } from "../../src/errors.js";
import { waitFor } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { type ScriptedReceiver, startScriptedReceiver } from "../helpers/scripted-receiver.js";
import { tempDb, tempDir } from "../helpers/tmp.js";
import { post, startTestReceiver } from "../receiver/support.js";

let receiver: ScriptedReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const portOf = (url: string) => new URL(url).port;

describe("host:port shorthands", () => {
  it("read :port as loopback and host:port as http, with or without a path", () => {
    expect(parseHttpUrl(":3000")).toBe("http://127.0.0.1:3000/");
    expect(parseHttpUrl(":3000/hooks?x=1")).toBe("http://127.0.0.1:3000/hooks?x=1");
    expect(parseHttpUrl("localhost:3000/hooks")).toBe("http://localhost:3000/hooks");
    expect(parseHttpUrl("10.0.0.5:8080")).toBe("http://10.0.0.5:8080/");
    expect(parseHttpUrl("[::1]:3000/x")).toBe("http://[::1]:3000/x");
    expect(parseHttpUrl("https://example.com/a")).toBe("https://example.com/a");
    expect(expandShorthand("orders")).toBe("orders");
    expect(() => parseHttpUrl("localhost:99999/x")).toThrow(UsageError);
    expect(() => parseHttpUrl("mailto:someone")).toThrow(/must be an http or https URL/);
  });

  it("are taken as URLs, never as endpoint names (which cannot contain a colon)", () => {
    expect(looksLikeUrl("localhost:3000/hooks")).toBe(true);
    expect(looksLikeUrl(":3000")).toBe(true);
    expect(looksLikeUrl("orders")).toBe(false);
    expect(looksLikeUrl("orders.v2")).toBe(false);
  });

  it("send localhost:port/path and :port/path deliver there", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 200 }));
    const port = portOf(receiver.url);
    const db = tempDb();
    const long = await runCli(["--db", db, "--json", "send", `localhost:${port}/hooks`]);
    expect(long.code).toBe(0);
    expect(JSON.parse(long.stdout)).toMatchObject({
      url: `http://localhost:${port}/hooks`,
      status: "succeeded",
    });
    const short = await runCli(["--db", db, "--json", "send", `:${port}/hooks`]);
    expect(short.code).toBe(0);
    expect(JSON.parse(short.stdout)).toMatchObject({
      url: `http://127.0.0.1:${port}/hooks`,
      status: "succeeded",
    });
    expect(receiver.hits).toHaveLength(2);
  });

  it("endpoint add --url and replay --to take them too", async () => {
    const db = tempDb();
    const added = await runCli(["--db", db, "--json", "endpoint", "add", "orders", "--url", ":3000/hooks"]);
    expect(added.code).toBe(0);
    const shown = await runCli(["--db", db, "--json", "endpoint", "show", "orders"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ url: "http://127.0.0.1:3000/hooks" });
    const dry = await runCli([
      "--db",
      db,
      "replay",
      "--status",
      "dead",
      "--to",
      "localhost:4000",
      "--dry-run",
    ]);
    expect(dry.code).toBe(0);
  });
});

describe("listen paths", () => {
  it("accepts any path by default", async () => {
    const { url, events } = await startTestReceiver({});
    expect(url).toMatch(/:\d+\/$/);
    expect((await post(`${url}hooks/stripe`, "{}")).status).toBe(200);
    expect((await post(`${url}`, "{}")).status).toBe(200);
    expect(events.map((e) => e.path)).toEqual(["/hooks/stripe", "/"]);
  });

  it("--path narrows it: 404 elsewhere", async () => {
    const { url } = await startTestReceiver({ path: "/hooks" });
    expect((await post(url, "{}")).status).toBe(200);
    expect((await post(url.replace("/hooks", "/other"), "{}")).status).toBe(404);
  });

  it("hookctl listen answers any path and forwards to a localhost:port shorthand", async () => {
    receiver = await startScriptedReceiver(() => ({ status: 202 }));
    const dir = tempDir();
    const readyFile = join(dir, "url");
    const controller = new AbortController();
    const args = ["--db", join(dir, "h.db"), "listen", "--port", "0", "--ready-file", readyFile];
    const done = runCli([...args, "--forward-to", `localhost:${portOf(receiver.url)}/app`], {
      signal: controller.signal,
    });
    const url = await waitFor(
      () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
      10_000,
      "ready file",
    );
    try {
      const response = await request(`${url}webhooks/any`, { method: "POST", body: "{}", reset: true });
      await response.body.text();
      expect(response.statusCode).toBe(202);
      expect(receiver.hits).toHaveLength(1);
    } finally {
      controller.abort();
      const result = await done;
      expect(result.stderr).toContain(`forwarding to http://localhost:${portOf(receiver.url)}/app`);
    }
  });
});
