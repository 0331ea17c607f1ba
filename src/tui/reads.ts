import { type Answer, type BrowsePort, isPending } from "../store/ports/browse.js";

type Query = (browser: BrowsePort) => Answer<unknown>;

/**
 * A read of several queries written once for both backends: the generator yields each query and
 * gets its answer back. `runReads` answers in the same turn while the backend does (SQLite), so a
 * keystroke still costs one synchronous pass and one frame there, and awaits otherwise.
 */
export type Reads<T> = Generator<Query, T, unknown>;

/** One query inside a `Reads` generator: `const rows = yield* ask((b) => b.page(…))`. */
export function* ask<T>(query: (browser: BrowsePort) => Answer<T>): Reads<T> {
  return (yield query) as T;
}

export function runReads<T>(reads: Reads<T>, browser: BrowsePort): Answer<T> {
  let next = reads.next();
  while (!next.done) {
    const answer = next.value(browser);
    if (isPending(answer)) return finish(reads, browser, answer);
    next = reads.next(answer);
  }
  return next.value;
}

async function finish<T>(reads: Reads<T>, browser: BrowsePort, pending: Promise<unknown>): Promise<T> {
  let next = reads.next(await pending);
  while (!next.done) next = reads.next(await next.value(browser));
  return next.value;
}
