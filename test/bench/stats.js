// Small helpers every bench shares.

/** The middle value (the upper one of an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A number for the table: grouped thousands, at most `digits` decimals. */
export function fmt(value, digits = 0) {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}
