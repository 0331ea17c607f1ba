/** A point in time as the contract reports it: ISO 8601 in UTC with milliseconds, or null. */
export function isoOrNull(ms: number | null | undefined): string | null {
  // Beyond ±8.64e15 ms a Date is invalid and toISOString throws: such a stored time says nothing.
  return ms === null || ms === undefined || !(Math.abs(ms) <= 8.64e15) ? null : new Date(ms).toISOString();
}

/** A point in time that is always known. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A duration in milliseconds rounded to 0.001 ms: `13.727`, never `13.726853000000006`. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
