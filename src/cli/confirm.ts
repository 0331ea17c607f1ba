import { UsageError } from "../errors.js";
import type { CliContext, InStream } from "./context.js";

/** Read one line of an answer from a terminal. */
export function readAnswer(stdin: InStream): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes("\n")) finish();
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.off("end", finish);
      stdin.pause();
      resolve(text.split("\n")[0] ?? "");
    };
    stdin.on("data", onData);
    stdin.once("end", finish);
    stdin.resume();
  });
}

/**
 * Ask `question [y/N]` on a terminal (`y` or `yes` is yes; anything else, Enter included, no);
 * off a terminal refuse with `refusal` (exit 2) so a script never deletes by accident.
 */
export async function confirmOrRefuse(
  ctx: Pick<CliContext, "stdin" | "stderr">,
  question: string,
  refusal: string,
): Promise<boolean> {
  if (ctx.stdin.isTTY !== true)
    throw new UsageError(`${refusal} without --yes when not on a terminal`, "add --yes");
  ctx.stderr.write(`${question} [y/N] `);
  return /^\s*y(es)?\s*$/i.test(await readAnswer(ctx.stdin));
}
