import { createRequire } from "node:module";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { loadAgent } from "../../src/delivery/undici-agent.js";

describe("loadAgent", () => {
  it("is undici's own Agent, loaded from the file that holds it (not the whole package)", () => {
    // If an undici release moves the file, loadAgent falls back to the package entry and this
    // test fails: update the path in src/delivery/undici-agent.ts.
    expect(() => createRequire(import.meta.url).resolve("undici/lib/dispatcher/agent.js")).not.toThrow();
    expect(loadAgent()).toBe(Agent);
  });
});
