import type { FailureOptions, Injection } from "./types.js";

/**
 * Whether to fail this attempt on purpose. `--fail-first N` fails attempts 1..N of each delivery
 * id (requests without an id are not subject to it); `--fail-rate` fails at random from the
 * seeded source. Only authentic requests that are not duplicates get here.
 */
export function decideInjection(
  failure: FailureOptions,
  attempt: number | null,
  random: () => number,
): Injection | null {
  let cause: Injection["cause"] | null = null;
  if (failure.first && attempt !== null && attempt <= failure.first) cause = "fail-first";
  else if (failure.rate && failure.rate > 0 && random() < failure.rate) cause = "fail-rate";
  if (cause === null) return null;
  const number = attempt ?? 1;
  const what = failure.drop ? "drop" : String(failure.status ?? 503);
  const label =
    cause === "fail-first" ? `fail-first ${number}/${failure.first} ${what}` : `fail-rate ${what}`;
  if (failure.drop) return { kind: "drop", cause, attempt: number, label };
  return { kind: "status", status: failure.status ?? 503, cause, attempt: number, label };
}
