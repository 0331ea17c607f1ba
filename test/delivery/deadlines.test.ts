import { describe, expect, it } from "vitest";
import { Deadlines } from "../../src/delivery/deadlines.js";
import { waitFor } from "../helpers/bin.js";

const monotonic = () => performance.now();

describe("Deadlines (one shared timer for every attempt's time limit)", () => {
  it("fires each deadline once, earliest first, as expired, calling the listener undici registered", async () => {
    const deadlines = new Deadlines(monotonic);
    const fired: string[] = [];
    const late = deadlines.start(300);
    late.addEventListener("abort", () => fired.push("late"));
    const early = deadlines.start(30);
    early.addEventListener("abort", () => fired.push("early"));
    await waitFor(() => (fired.length === 2 ? true : undefined), 5000, "both deadlines");
    expect(fired).toEqual(["early", "late"]);
    expect(early).toMatchObject({ aborted: true, expired: true });
    expect((early.reason as DOMException).name).toBe("TimeoutError");
  });

  it("the caller's abort ends it early and not as expired; a cleared deadline is left alone", async () => {
    const deadlines = new Deadlines(monotonic);
    const caller = new AbortController();
    const aborted = deadlines.start(10_000, caller.signal);
    let calls = 0;
    aborted.addEventListener("abort", () => calls++);
    caller.abort(new Error("shutting down"));
    expect(aborted).toMatchObject({ aborted: true, expired: false });
    expect(calls).toBe(1);

    const other = new AbortController();
    const finished = deadlines.start(20, other.signal);
    finished.addEventListener("abort", () => calls++);
    finished.clear();
    other.abort();
    // A later deadline proves the timer ran past the cleared one's time without touching it.
    const probe = deadlines.start(60);
    await waitFor(() => (probe.aborted ? true : undefined), 5000, "the probe deadline");
    expect(finished.aborted).toBe(false);
    expect(calls).toBe(1);
  });

  it("an already aborted caller signal gives an aborted deadline at once", () => {
    const deadlines = new Deadlines(monotonic);
    const deadline = deadlines.start(1000, AbortSignal.abort());
    expect(deadline).toMatchObject({ aborted: true, expired: false });
  });
});
