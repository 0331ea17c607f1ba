/** Unix seconds as a header carries them: digits only, no sign, no fraction. */
export function parseTimestamp(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/**
 * Why a timestamp is outside the tolerance (both directions), or undefined when it is fine.
 * Exactly `tolerance` seconds away is still accepted; 0 disables the check.
 */
export function staleReason(
  timestamp: number,
  nowSeconds: number,
  toleranceSeconds: number,
): string | undefined {
  if (toleranceSeconds <= 0) return undefined;
  const age = nowSeconds - timestamp;
  if (age > toleranceSeconds) return `timestamp ${age}s old (tolerance ${toleranceSeconds}s)`;
  if (-age > toleranceSeconds) return `timestamp ${-age}s in the future (tolerance ${toleranceSeconds}s)`;
  return undefined;
}
