import { render } from "ink";
import { ExitCode } from "../../errors.js";
import type { BrowseStatus } from "../../store/browse.js";
import { App } from "../../tui/App.js";
import { createInspectStore } from "../../tui/inspect-store.js";
import type { CliContext } from "../context.js";
import { colorEnabled, type GlobalOptions } from "../output.js";
import { openStoreFor } from "../store.js";
import { requireTerminal } from "../terminal.js";

export interface InspectOptions {
  status: string;
  filter?: string;
}

// The alternate screen: the UI gets the whole terminal and leaves the scrollback as it was.
const enterAltScreen = "\u001B[?1049h\u001B[H";
const leaveAltScreen = "\u001B[?1049l";

/** Run the terminal UI until q, Ctrl+C or a signal. Loaded only by `inspect` (Ink and React are heavy). */
export async function runInspect(
  options: InspectOptions,
  globals: GlobalOptions,
  ctx: CliContext,
): Promise<number> {
  requireTerminal(ctx);
  const status = (options.status === "in-flight" ? "in_flight" : options.status) as BrowseStatus;
  const { db } = openStoreFor(globals, ctx, { mustExist: true });
  ctx.stdout.write(enterAltScreen);
  try {
    let interrupted = false;
    const instance = render(
      <App
        store={createInspectStore(db, ctx.now)}
        initialStatus={status}
        initialFilter={options.filter}
        now={ctx.now}
        color={colorEnabled(ctx, ctx.stdout, globals)}
        onInterrupt={() => {
          interrupted = true;
          instance.unmount();
        }}
      />,
      {
        stdout: ctx.stdout as NodeJS.WriteStream,
        stdin: ctx.stdin as NodeJS.ReadStream,
        stderr: ctx.stderr as NodeJS.WriteStream,
        patchConsole: false,
        exitOnCtrlC: false,
        // Not `incrementalRendering`: in Ink 6.8 it left stale lines behind when the filter bar
        // appeared. Full frames are written inside synchronized-output markers where supported.
      },
    );
    const onAbort = () => {
      interrupted = true;
      instance.unmount();
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await instance.waitUntilExit();
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }
    return interrupted ? ExitCode.interrupted : ExitCode.ok;
  } finally {
    ctx.stdout.write(leaveAltScreen);
    db.close();
  }
}
