import { render } from "ink";
import { retryNow } from "../../delivery/retry-now.js";
import { proxySettings, Transport } from "../../delivery/transport.js";
import { ExitCode } from "../../errors.js";
import type { BrowseStatus } from "../../store/browse.js";
import { engineStoreOf, type LogHandle } from "../../store/log-handle.js";
import { App } from "../../tui/App.js";
import { inspectStoreOf } from "../../tui/inspect-store.js";
import { inkColor } from "../../tui/theme.js";
import type { CliContext } from "../context.js";
import { colorLevelFor, type GlobalOptions } from "../output.js";
import { openLogFor } from "../store.js";
import { requireTerminal } from "../terminal.js";
import { cliSchedulerDeps } from "./replay-run.js";

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
  const log = await openLogFor(globals, ctx, { mustExist: true });
  try {
    return await browse(log, status, options, globals, ctx);
  } finally {
    await log.close();
  }
}

async function browse(
  log: LogHandle,
  status: BrowseStatus,
  options: InspectOptions,
  globals: GlobalOptions,
  ctx: CliContext,
): Promise<number> {
  // Replay's transport (proxy, per-delivery TLS); it loads undici on the first retry only.
  const transport = new Transport({ proxy: proxySettings(ctx.env) });
  const deps = cliSchedulerDeps(await engineStoreOf(log), ctx, transport);
  const store = inspectStoreOf(log, ctx.now, { retry: (id) => retryNow({ ...deps, log }, id) });
  ctx.stdout.write(enterAltScreen);
  try {
    let interrupted = false;
    const instance = render(
      <App
        store={store}
        initialStatus={status}
        initialFilter={options.filter}
        now={ctx.now}
        color={inkColor(colorLevelFor(ctx, ctx.stdout, globals))}
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
    // An attempt already sent is waited for and recorded, as replay does on Ctrl+C: never lost.
    const running = store.inFlight();
    if (running > 0)
      ctx.stderr.write(`hookctl: waiting for ${running} attempt(s) in flight to be recorded…\n`);
    await store.settled();
    await transport.close();
  }
}
