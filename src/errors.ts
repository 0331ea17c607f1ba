/**
 * Errors that carry their own exit code. The CLI entry is the only place that turns them into
 * output and an exit status; everything else throws them or returns data.
 */
const brand = Symbol.for("hookctl.error");

export class HookctlError extends Error {
  /**
   * `inspect`'s UI is a separate ES-module bundle with its own copy of this class: recognise
   * errors from either copy by a registered symbol, not by prototype identity.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested (UsageError…), which keeps prototype checks.
    if (this !== HookctlError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && brand in value;
  }

  readonly [brand] = true;
  readonly exitCode: number;
  /** What the user can do next, printed after an em dash. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode: number; hint?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode;
    this.hint = options.hint;
  }
}

/** Bad flags, arguments or input files: exit 2. */
export class UsageError extends HookctlError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: 2, hint, cause });
  }
}

/** The user interrupted (SIGINT/SIGTERM): exit 130. */
export class InterruptedError extends HookctlError {
  constructor(message = "interrupted") {
    super(message, { exitCode: 130 });
  }
}

/**
 * The exit codes hookctl documents. `internal` is EX_SOFTWARE from sysexits.h: a bug, never
 * confused with 1 ("not authentic", "not delivered") by a script checking a result.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  internal: 70,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
