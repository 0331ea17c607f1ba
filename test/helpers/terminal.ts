import { PassThrough } from "node:stream";
import type { InStream } from "../../src/cli/context.js";
import { testContext } from "./context.js";

/** A test context whose stdin and stdout claim to be a terminal of the given size (no colour). */
export function fakeTerminal(columns = 100, rows = 30) {
  const { ctx, stdout, stderr } = testContext({ tty: true, env: { NO_COLOR: "1" } });
  const stdin = new PassThrough() as PassThrough & InStream & { ref(): void; unref(): void };
  stdin.isTTY = true;
  stdin.setRawMode = () => stdin;
  stdin.ref = () => {};
  stdin.unref = () => {};
  ctx.stdin = stdin;
  ctx.stdout.columns = columns;
  ctx.stdout.rows = rows;
  return { ctx, stdin, stdout, stderr };
}
