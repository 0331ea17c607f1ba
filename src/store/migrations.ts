/**
 * Forward-only schema migrations. Migration N brings the log to `PRAGMA user_version = N`; each
 * runs in its own transaction. Never edit a shipped migration: add the next one.
 *
 * CHECKs spell out `x = 'a' OR x = 'b'`: written as `x IN ('a', 'b')`, inserts of events with
 * their deliveries measured over 10x slower once a transaction held a few thousand rows.
 *
 * No index on lease expiry: in-flight rows are few (the running schedulers' slots), so lease
 * reclaim reads them through deliveries_by_status; another index would only add page writes to
 * every claim and completion.
 *
 * Times are integer milliseconds since the epoch. Ids are prefixed ULIDs (time-sortable), so
 * ordering by id is ordering by creation.
 */
export const migrations: readonly string[] = [
  // 1: events, endpoints and their secrets, deliveries, attempts, received requests.
  `
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    scheme TEXT NOT NULL DEFAULT 'hookctl',
    rate_per_second REAL,
    concurrency INTEGER,
    timeout_ms INTEGER,
    policy TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE endpoint_secrets (
    id INTEGER PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
  ) STRICT;
  CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets(endpoint_id, created_at);

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id),
    endpoint_id TEXT REFERENCES endpoints(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    scheme TEXT NOT NULL,
    extra_headers TEXT NOT NULL DEFAULT '{}',
    secrets TEXT,
    policy TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status = 'pending' OR status = 'in_flight' OR status = 'succeeded' OR status = 'dead'),
    attempt_count INTEGER NOT NULL DEFAULT 0,
    schedule_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    next_trigger TEXT NOT NULL DEFAULT 'initial' CHECK (next_trigger = 'initial' OR next_trigger = 'scheduled' OR next_trigger = 'manual'),
    lease_token TEXT,
    lease_expires_at INTEGER,
    last_status_code INTEGER,
    last_error_class TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER
  ) STRICT;
  CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_by_status ON deliveries(status, id);
  CREATE INDEX deliveries_by_event ON deliveries(event_id);
  CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, id);

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger = 'initial' OR trigger = 'scheduled' OR trigger = 'manual'),
    url TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    status_code INTEGER,
    response_headers TEXT,
    response_body BLOB,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    error_class TEXT,
    error_message TEXT,
    UNIQUE (delivery_id, number)
  ) STRICT;

  CREATE TABLE received (
    id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    delivery_id TEXT,
    event_type TEXT,
    verification TEXT NOT NULL CHECK (verification = 'verified' OR verification = 'invalid' OR verification = 'unverified'),
    verification_reason TEXT,
    scheme TEXT,
    duplicate INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER,
    injected TEXT,
    duration_ms REAL
  ) STRICT;
  CREATE INDEX received_by_delivery ON received(delivery_id);
  `,
  // 2: how HTTPS targets are verified (--insecure, --ca), on deliveries and endpoints. Null:
  // the system's trust store. tls_ca holds the PEM text itself, so a replay works after the file
  // moves.
  `
  ALTER TABLE deliveries ADD COLUMN tls_insecure INTEGER;
  ALTER TABLE deliveries ADD COLUMN tls_ca TEXT;
  ALTER TABLE endpoints ADD COLUMN tls_insecure INTEGER;
  ALTER TABLE endpoints ADD COLUMN tls_ca TEXT;
  `,
  // 3: the outbox (`serve`). Endpoints subscribe to event types by glob (a JSON list; null: every
  // type). Idempotency keys live in their own table so a purge of deliveries never forgets one
  // early; `response` is the first answer, returned as it was to a repeat. Dead-letter alerts:
  // each running alert sink is registered, and every path that makes a delivery dead queues one
  // alert per sink in its own transaction (store/dead-letter-alerts.ts).
  `
  ALTER TABLE endpoints ADD COLUMN events TEXT;

  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_sha256 TEXT NOT NULL,
    event_id TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
  CREATE INDEX idempotency_keys_by_event ON idempotency_keys(event_id);

  CREATE TABLE alert_sinks (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE alerts (
    id TEXT NOT NULL,
    sink TEXT NOT NULL REFERENCES alert_sinks(name) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status = 'pending' OR status = 'sent' OR status = 'failed'),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    PRIMARY KEY (id, sink)
  ) STRICT;
  CREATE INDEX alerts_due ON alerts(sink, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX alerts_by_delivery ON alerts(delivery_id);
  `,
  // 4: the relay. On the public host: channels (only a hash of each token is kept; null caps use
  // the relay's defaults) and every request stored before the provider got its 2xx, numbered
  // per channel. On a laptop: how far `listen --from` has acknowledged each relay channel, so a
  // restart resumes where it stopped.
  `
  CREATE TABLE relay_channels (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    max_body_bytes INTEGER,
    rate_per_second REAL,
    max_stored_bytes INTEGER,
    next_seq INTEGER NOT NULL DEFAULT 1,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    acked_at INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE relay_requests (
    channel TEXT NOT NULL REFERENCES relay_channels(name) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (channel, seq)
  ) STRICT;
  CREATE INDEX relay_requests_by_age ON relay_requests(received_at);

  CREATE TABLE relay_cursors (
    source TEXT PRIMARY KEY,
    acked_seq INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  `,
  // 5: which `listen --from` reads each relay channel into this log: one at a time, or every
  // request would be captured (and forwarded) once per listener. A hold lapses unless renewed.
  `
  CREATE TABLE relay_listeners (
    source TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    held_until INTEGER NOT NULL
  ) STRICT;
  `,
];

export const schemaVersion = migrations.length;
