import { describe, expect, it } from "vitest";
import { groupCommit } from "../../src/receiver/group-commit.js";

/** A commit the test finishes by hand, recording each batch it was given. */
function manualCommit() {
  const batches: number[][] = [];
  const finish: ((error?: Error) => void)[] = [];
  const commit = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(items);
      finish.push((error) => (error ? reject(error) : resolve()));
    });
  return { batches, finish, commit };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const settled = (promise: Promise<void>) =>
  promise.then(
    () => "committed",
    (error: Error) => `failed: ${error.message}`,
  );

describe("group commit", () => {
  it("commits the items added in one turn together, and resolves each only after its commit", async () => {
    const { batches, finish, commit } = manualCommit();
    const group = groupCommit(commit);
    const states: string[] = [];
    const items = [1, 2, 3].map((n) => group.add(n).then(() => states.push(`done ${n}`)));
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]);
    expect(states).toEqual([]);
    finish[0]?.();
    await Promise.all(items);
    expect(states).toEqual(["done 1", "done 2", "done 3"]);
  });

  it("queues what arrives during a commit as the next batch, at most maxBatch at a time", async () => {
    const { batches, finish, commit } = manualCommit();
    const group = groupCommit(commit, { maxBatch: 2, maxInFlight: 1 });
    const first = group.add(1);
    await nextTurn();
    const later = [2, 3, 4].map((n) => group.add(n));
    expect(group.pending).toBe(3);
    finish[0]?.();
    await first;
    await nextTurn();
    expect(batches).toEqual([[1], [2, 3]]);
    finish[1]?.();
    await Promise.all(later.slice(0, 2));
    await nextTurn();
    expect(batches).toEqual([[1], [2, 3], [4]]);
    finish[2]?.();
    await later[2];
    expect(group.pending).toBe(0);
  });

  it("sends the next batch while one is being committed, up to maxInFlight", async () => {
    const { batches, finish, commit } = manualCommit();
    const group = groupCommit(commit, { maxInFlight: 2 });
    const added = [group.add(1)];
    await nextTurn();
    added.push(group.add(2));
    await nextTurn();
    added.push(group.add(3), group.add(4));
    await nextTurn();
    expect(batches).toEqual([[1], [2]]);
    finish[0]?.();
    await added[0];
    await nextTurn();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    finish[1]?.();
    finish[2]?.();
    await Promise.all(added);
  });

  it("fails only the batch whose commit failed; the next batch is tried afresh", async () => {
    const { finish, commit } = manualCommit();
    const group = groupCommit(commit);
    const first = settled(group.add(1));
    await nextTurn();
    const second = settled(group.add(2));
    await nextTurn();
    finish[0]?.(new Error("database is locked"));
    expect(await first).toBe("failed: database is locked");
    await nextTurn();
    finish[1]?.();
    expect(await second).toBe("committed");
  });

  it("keeps going after a commit that throws at once, and drain waits for everything added", async () => {
    let fail = true;
    const committed: number[] = [];
    const group = groupCommit<number>((items) => {
      if (fail) throw new Error("disk full");
      committed.push(...items);
    });
    expect(await settled(group.add(1))).toBe("failed: disk full");
    fail = false;
    const rest = [2, 3].map((n) => group.add(n));
    await group.drain();
    expect(committed).toEqual([2, 3]);
    await Promise.all(rest);
  });
});
