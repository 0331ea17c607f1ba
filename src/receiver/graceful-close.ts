import type { Server } from "node:http";

/**
 * Stop `server` gracefully (serve, the relay): accept nothing new, close idle keep-alive sockets
 * now, give requests in progress `graceMs` to finish before cutting them off, run `drained` once
 * they have (work they started, such as a commit, seen through), then close every socket and wait
 * for the server's own close.
 */
export async function closeGracefully(
  server: Server,
  options: { graceMs: number; whenIdle(): Promise<void>; drained?(): Promise<void> },
): Promise<void> {
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), options.graceMs);
  await options.whenIdle();
  clearTimeout(grace);
  await options.drained?.();
  server.closeAllConnections();
  await serverClosed;
}
