import { rmSync } from "node:fs";
import { join } from "node:path";
import { runBin, spawnReady } from "./bin.js";
import { tempDb, tempDir } from "./tmp.js";

export interface RelayBinOptions {
  /** The relay's log (default: a fresh temp file). */
  db?: string;
  /** The channel added before the relay starts (default "test"). */
  channel?: string;
  /**
   * Flags for `relay channel add` (default: a rate no test reaches, `--rate 100000/s`; pass
   * `[]` for the relay's defaults).
   */
  channelArgs?: string[];
  /** More flags for `hookctl relay` itself (e.g. --keep, --max-body, --cert/--key). */
  args?: string[];
  env?: Record<string, string>;
}

export interface RelayBin {
  /** The relay's base URL (http://127.0.0.1:<port>); the same after restart(). */
  url: string;
  /** Where providers post: `${url}/c/${channel}`. */
  channelUrl: string;
  channel: string;
  /** The channel's bearer token, as `relay channel add` printed it once. */
  token: string;
  db: string;
  /** stdout and stderr of the current run, so far. */
  output: { stdout: string; stderr: string };
  /** SIGTERM by default; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL (a crash, or cleanup after a failed test); resolves once it has exited. */
  kill(): Promise<void>;
  /** Kill -9 if still running, then start again on the same port and log. */
  restart(): Promise<void>;
}

/**
 * `hookctl relay` from the built binary on 127.0.0.1:0 with a ready file and a temp log, one
 * channel added first. Pass `kill` to the test's cleanup.
 */
export async function relayBin(options: RelayBinOptions = {}): Promise<RelayBin> {
  const db = options.db ?? tempDb();
  const channel = options.channel ?? "test";
  const channelArgs = options.channelArgs ?? ["--rate", "100000/s"];
  const added = await runBin(["--db", db, "--json", "relay", "channel", "add", channel, ...channelArgs]);
  if (added.code !== 0) throw new Error(`relay channel add failed (${added.code}): ${added.stderr}`);
  const { token } = JSON.parse(added.stdout) as { token: string };
  const readyFile = join(tempDir(), "url");
  let run = await start(db, "0", readyFile, options);
  const url = run.url;
  const port = new URL(url).port;
  const relay: RelayBin = {
    url,
    channelUrl: `${url}/c/${channel}`,
    channel,
    token,
    db,
    output: run.output,
    stop: (signal = "SIGTERM") => {
      run.child.kill(signal);
      return run.exited;
    },
    kill: async () => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
      await run.exited;
    },
    restart: async () => {
      await relay.kill();
      run = await start(db, port, readyFile, options);
      relay.output = run.output;
    },
  };
  return relay;
}

function start(db: string, port: string, readyFile: string, options: RelayBinOptions) {
  rmSync(readyFile, { force: true });
  return spawnReady(
    ["--db", db, "relay", "--port", port, "--ready-file", readyFile, ...(options.args ?? [])],
    readyFile,
    { env: options.env, what: "relay" },
  );
}
