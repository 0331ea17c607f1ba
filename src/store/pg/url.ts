// No import of the driver here: deciding which backend a --db names must not load it.

/** Whether `text` names a PostgreSQL log rather than a SQLite file. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/**
 * A database URL safe to print: the password (in the authority or a `password=` parameter)
 * replaced by `***`. Anything that does not parse as a URL is cut down to its scheme.
 */
export function maskDatabaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0];
    return scheme ? `${scheme}…` : "…";
  }
  if (url.password) url.password = "***";
  if (url.searchParams.has("password")) url.searchParams.set("password", "***");
  return url.toString().replace("password=%2A%2A%2A", "password=***");
}

/**
 * A database URL to paste into another command: its password left out (in the authority or a
 * `password=` parameter), which PGPASSWORD or ~/.pgpass then supply; `removed` says whether there
 * was one. Anything that does not parse as a URL is masked as maskDatabaseUrl masks it.
 */
export function withoutPassword(text: string): { url: string; removed: boolean } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: maskDatabaseUrl(text), removed: false };
  }
  const removed = url.password !== "" || url.searchParams.has("password");
  url.password = "";
  url.searchParams.delete("password");
  return { url: url.toString(), removed };
}
