const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `12:03:04` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `2026-01-15 12:03:04` in local time. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(ms)}`;
}

/** The clock time alone when `ms` falls on the same local day as `now`, else the date too. */
export function when(ms: number, now: number): string {
  return new Date(ms).toDateString() === new Date(now).toDateString() ? clockTime(ms) : dateTime(ms);
}

/** ISO 8601 in UTC for JSON, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
