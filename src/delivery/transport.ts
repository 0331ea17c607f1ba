import { createRequire } from "node:module";
import type { ConnectionOptions } from "node:tls";
import type { Agent, Dispatcher } from "undici";
import type { TlsSetting } from "../store/types.js";
import { loadAgent } from "./undici-agent.js";

const load = createRequire(import.meta.url);

/** The proxy variables a run honours, read once; null when none is set. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Lowercase first, as curl and undici read them. An empty value counts as unset. */
function variable(env: Env, name: string): string {
  return env[name.toLowerCase()] || env[name] || "";
}

/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and lowercase forms) from `env`, or null when neither
 * proxy variable is set, so a run without them never loads the proxy code.
 */
export function proxySettings(env: Env): ProxySettings | null {
  const httpProxy = variable(env, "HTTP_PROXY");
  const httpsProxy = variable(env, "HTTPS_PROXY");
  if (!httpProxy && !httpsProxy) return null;
  return { httpProxy, httpsProxy, noProxy: variable(env, "NO_PROXY") };
}

/** The connect options of one setting: its CA list, or no verification at all. */
export function connectOptions(tls: TlsSetting): ConnectionOptions {
  return tls.insecure ? { rejectUnauthorized: false } : { ca: tls.ca };
}

export interface TransportOptions {
  /** Options for every pool (connections, keep-alive). */
  agent?: Agent.Options;
  /** Proxy variables (see `proxySettings`); null or absent: connect directly. */
  proxy?: ProxySettings | null;
}

/**
 * The dispatchers of one run: one keep-alive Agent per distinct TLS setting (verification is a
 * property of the connection, so deliveries that verify differently cannot share sockets), each
 * through the proxy when the environment names one. Created on first use, closed together.
 */
export class Transport {
  private plain: Dispatcher | undefined;
  private readonly bySetting = new Map<string, Dispatcher>();
  // The last setting seen: a run's deliveries usually share one, often the very same object.
  private lastTls: TlsSetting | null = null;
  private lastDispatcher: Dispatcher | undefined;

  constructor(private readonly options: TransportOptions = {}) {}

  /** The dispatcher for a delivery's TLS setting (null: the system's trust store). */
  dispatcherFor(tls: TlsSetting | null): Dispatcher {
    if (tls === null) {
      this.plain ??= this.create(undefined);
      return this.plain;
    }
    if (tls === this.lastTls && this.lastDispatcher) return this.lastDispatcher;
    const key = tls.insecure ? "insecure" : `ca:${tls.ca}`;
    let dispatcher = this.bySetting.get(key);
    if (!dispatcher) {
      dispatcher = this.create(connectOptions(tls));
      this.bySetting.set(key, dispatcher);
    }
    this.lastTls = tls;
    this.lastDispatcher = dispatcher;
    return dispatcher;
  }

  /** How many dispatchers this run has made (tests check the pool's keying). */
  get size(): number {
    return this.bySetting.size + (this.plain ? 1 : 0);
  }

  async close(): Promise<void> {
    const all = [...this.bySetting.values(), ...(this.plain ? [this.plain] : [])];
    this.bySetting.clear();
    this.plain = undefined;
    this.lastDispatcher = undefined;
    await Promise.all(all.map((dispatcher) => dispatcher.close()));
  }

  private create(connect: ConnectionOptions | undefined): Dispatcher {
    const { agent, proxy } = this.options;
    if (!proxy) return new (loadAgent())(connect ? { ...agent, connect } : agent);
    // The package entry, not the agent's file alone: the proxy agent opens tunnels with the
    // dispatcher API (`connect`) that the entry attaches. Only runs with a proxy pay for it.
    const { EnvHttpProxyAgent } = load("undici") as typeof import("undici");
    const proxied = new EnvHttpProxyAgent({
      ...agent,
      ...proxy,
      // `connect` for targets reached directly (NO_PROXY), `requestTls` for the TLS session
      // tunnelled through CONNECT: the target's setting applies either way, never the proxy's.
      ...(connect ? { connect, requestTls: connect } : {}),
      // http:// targets as absolute-form requests, the way HTTP proxies expect; CONNECT to port
      // 80 is refused by many (squid by default).
      proxyTunnel: false,
    });
    // The proxy agent adds a host header to the object it is given: that object is also the
    // attempt's record of what was sent, so it gets a copy.
    return proxied.compose(
      (dispatch) => (options, handler) => dispatch({ ...options, headers: { ...options.headers } }, handler),
    );
  }
}
