import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseRelaySource } from "../../src/relay/source.js";

describe("parseRelaySource (listen --from)", () => {
  it("splits the channel URL into the relay's base and the channel, keeping a proxy's prefix", () => {
    expect(parseRelaySource("https://relay.example.com/c/laptop")).toEqual({
      base: "https://relay.example.com",
      channel: "laptop",
      url: "https://relay.example.com/c/laptop",
    });
    expect(parseRelaySource("http://127.0.0.1:8080/hooks/c/my%20box/")).toEqual({
      base: "http://127.0.0.1:8080/hooks",
      channel: "my box",
      url: "http://127.0.0.1:8080/hooks/c/my%20box",
    });
  });

  it.each([
    ["https://user:s3cret-token@relay.example.com/c/laptop", /must not carry credentials/],
    ["https://relay.example.com/c/laptop?token=s3cret-token", /must not have a query/],
    ["https://relay.example.com/laptop", /must end in \/c\/<channel>/],
    ["https://relay.example.com/c/a/b", /must end in \/c\/<channel>/],
    ["ftp://relay.example.com/c/laptop", /http or https/],
    ["relay.example.com/c/laptop", /not a URL/],
  ])("refuses %s with one line that never shows the token", (text, message) => {
    let caught: unknown;
    try {
      parseRelaySource(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("s3cret-token");
  });
});
