import type { Db } from "./open.js";

export interface EndpointRow {
  id: string;
  name: string;
  url: string;
  scheme: string;
  ratePerSecond: number | null;
  concurrency: number | null;
  timeoutMs: number | null;
  /** Partial RetryPolicy as JSON, or null for the defaults. */
  policy: string | null;
  createdAt: number;
}

export interface EndpointSecretRow {
  id: number;
  endpointId: string;
  secret: string;
  createdAt: number;
  expiresAt: number | null;
}

function toEndpoint(raw: Record<string, unknown>): EndpointRow {
  return {
    id: raw.id as string,
    name: raw.name as string,
    url: raw.url as string,
    scheme: raw.scheme as string,
    ratePerSecond: (raw.rate_per_second as number | null) ?? null,
    concurrency: (raw.concurrency as number | null) ?? null,
    timeoutMs: (raw.timeout_ms as number | null) ?? null,
    policy: (raw.policy as string | null) ?? null,
    createdAt: raw.created_at as number,
  };
}

export function insertEndpoint(db: Db, endpoint: EndpointRow, secrets: readonly string[]): void {
  db.transaction(() => {
    db.prepare(`
      INSERT INTO endpoints (id, name, url, scheme, rate_per_second, concurrency, timeout_ms, policy, created_at)
      VALUES (@id, @name, @url, @scheme, @ratePerSecond, @concurrency, @timeoutMs, @policy, @createdAt)`).run(
      endpoint,
    );
    const addSecret = db.prepare(
      "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
    );
    for (const secret of secrets) addSecret.run(endpoint.id, secret, endpoint.createdAt);
  }).immediate();
}

export function getEndpointByName(db: Db, name: string): EndpointRow | undefined {
  const row = db.prepare("SELECT * FROM endpoints WHERE name = ?").get(name);
  return row ? toEndpoint(row as Record<string, unknown>) : undefined;
}

export function getEndpointById(db: Db, id: string): EndpointRow | undefined {
  const row = db.prepare("SELECT * FROM endpoints WHERE id = ?").get(id);
  return row ? toEndpoint(row as Record<string, unknown>) : undefined;
}

export function listEndpoints(db: Db): EndpointRow[] {
  return (db.prepare("SELECT * FROM endpoints ORDER BY name").all() as Record<string, unknown>[]).map(
    toEndpoint,
  );
}

/** Secrets valid at `now`, newest (primary) first: rotation keeps the old one until it expires. */
export function activeSecrets(db: Db, endpointId: string, now: number): string[] {
  return db
    .prepare(
      "SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, id DESC",
    )
    .pluck()
    .all(endpointId, now) as string[];
}
