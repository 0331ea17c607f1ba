import { describe, expect, it } from "vitest";
import { parseSubscription, subscribes } from "../../src/delivery/subscriptions.js";

/** `glob` takes every type in `yes` and none in `no`. */
function matches(glob: string, yes: readonly string[], no: readonly string[]): void {
  for (const type of yes) expect(subscribes([glob], type), `${glob} takes ${type}`).toBe(true);
  for (const type of no) expect(subscribes([glob], type), `${glob} leaves ${type}`).toBe(false);
}

describe("subscribes", () => {
  it("null or absent means every type; an empty list means none", () => {
    expect(subscribes(null, "order.created")).toBe(true);
    expect(subscribes(undefined, "")).toBe(true);
    expect(subscribes([], "order.created")).toBe(false);
  });

  it("* takes any run of characters, dots included, or none", () => {
    matches("order.*", ["order.paid", "order.item.added", "order."], ["order", "reorder.paid"]);
    matches("*", ["", "anything.at.all"], []);
    matches("*.paid", ["invoice.paid"], ["invoice.paid.late"]);
    matches("a*b*c", ["a.x.b.y.c", "abc"], ["a.x.b.y"]);
  });

  it("? takes exactly one character", () => {
    matches("payment.v?", ["payment.v2"], ["payment.v", "payment.v10"]);
    matches("order?paid", ["order.paid"], ["orderpaid"]);
  });

  it("the whole type must match, not a part of it", () => {
    matches("order.paid", ["order.paid"], ["x.order.paid", "order.paid.x"]);
  });

  it("regular-expression characters match themselves", () => {
    matches("order.paid", [], ["orderXpaid"]);
    matches("a+b", ["a+b"], ["aab"]);
    matches("fn(x)", ["fn(x)"], ["fnx"]);
    matches("[ab]", ["[ab]"], ["a"]);
    matches("a|b", ["a|b"], ["a", "b"]);
    matches("^a$", ["^a$"], ["a"]);
    matches("a{2}", ["a{2}"], ["aa"]);
    matches("a\\d", ["a\\d"], ["a1"]);
  });

  it("is case-sensitive", () => {
    matches("Order.*", ["Order.paid"], ["order.paid"]);
    matches("order.*", ["order.paid"], ["ORDER.PAID"]);
  });

  it("any glob of the list is enough", () => {
    const globs = ["order.*", "invoice.paid"];
    expect(subscribes(globs, "invoice.paid")).toBe(true);
    expect(subscribes(globs, "order.created")).toBe(true);
    expect(subscribes(globs, "invoice.created")).toBe(false);
  });

  it("gives the same answers once a glob is cached, past the cache's size", () => {
    for (let i = 0; i < 1_100; i++) expect(subscribes([`t${i}.*`], `t${i}.x`)).toBe(true);
    expect(subscribes(["t0.*"], "t0.x")).toBe(true);
    expect(subscribes(["t0.*"], "t1.x")).toBe(false);
  });
});

describe("parseSubscription", () => {
  it("splits on commas, trims, drops blanks and repeats", () => {
    expect(parseSubscription(" order.* , invoice.paid,,order.*")).toEqual({
      globs: ["order.*", "invoice.paid"],
    });
  });

  it("a list with no glob is a problem, not a subscription to nothing", () => {
    expect(parseSubscription("")).toEqual({ problem: "names no event type" });
    expect(parseSubscription(" , ,")).toEqual({ problem: "names no event type" });
  });

  it("a glob over 200 characters is a problem", () => {
    expect(parseSubscription("x".repeat(200))).toEqual({ globs: ["x".repeat(200)] });
    expect(parseSubscription(`a,${"x".repeat(201)}`)).toEqual({
      problem: "has a glob of 201 characters (at most 200)",
    });
  });

  it("a glob no header value can carry is a problem: it could never match an event type", () => {
    const parsed = parseSubscription("order.*,order\npaid");
    expect(parsed).toMatchObject({ unsendable: true });
    expect("problem" in parsed && parsed.problem).toMatch(/^glob "order\\npaid" /);
    expect(parseSubscription("commande.payée")).toEqual({ globs: ["commande.payée"] });
  });
});
