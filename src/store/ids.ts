const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix = "evt" | "dlv" | "rcv" | "ep";

/**
 * A ULID with a type prefix (`dlv_01J…`): sorts by creation time, so "newest first" is an index
 * scan on the primary key. Clock and randomness are passed in so tests get stable ids.
 */
export function newId(prefix: IdPrefix, nowMs: number, randomBytes: (size: number) => Uint8Array): string {
  let time = "";
  let t = Math.floor(nowMs);
  for (let i = 0; i < 10; i++) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let random = "";
  // 80 random bits as 16 base-32 digits, 5 bits at a time.
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += crockford[(buffer >> bits) & 31];
    }
  }
  return `${prefix}_${time}${random}`;
}

/** A factory bound to a clock and a randomness source; this is what gets injected. */
export type IdFactory = (prefix: IdPrefix) => string;

export function idFactory(now: () => number, randomBytes: (size: number) => Uint8Array): IdFactory {
  return (prefix) => newId(prefix, now(), randomBytes);
}
