import type { Route } from "./routes.js";

export type Match =
  | { kind: "found"; route: Route; params: Record<string, string> }
  /** The path is known but not with this method: 405 with these in `Allow`. */
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const actual = got[i] as string;
    if (segment.startsWith(":")) {
      if (actual === "") return undefined;
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (segment !== actual) return undefined;
  }
  return params;
}

/** The route for a method and path, with its `:name` segments decoded. */
export function matchRoute(routes: readonly Route[], method: string, path: string): Match {
  const allow: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    if (route.method === method) return { kind: "found", route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: "method", allow } : { kind: "none" };
}
