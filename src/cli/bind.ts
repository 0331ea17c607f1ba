import { isIP } from "node:net";
import { UsageError } from "../errors.js";

/** Whether an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/**
 * The address a server binds, checked: never empty (Node reads "" as every interface), and
 * anything beyond loopback is reported so the caller can announce it.
 */
export function checkBindHost(host: string, flag = "--host"): { host: string; loopback: boolean } {
  const trimmed = host.trim();
  if (trimmed === "") {
    throw new UsageError(
      `${flag} is empty, which would bind every network interface`,
      `say ${flag} 0.0.0.0 to mean that, or leave ${flag} out for 127.0.0.1`,
    );
  }
  return { host: trimmed, loopback: isLoopbackHost(trimmed) };
}
