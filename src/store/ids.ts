const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix = "evt" | "dlv" | "rcv" | "ep";

const digits = Array.from(crockford, (c) => c.charCodeAt(0));
const randomCodes = new Array<number>(16);
let lastMs = Number.NaN;
let lastTime = "";

/** Ten base-32 digits of the time; ids made in the same millisecond share them. */
function timePart(ms: number): string {
  if (ms !== lastMs) {
    let time = "";
    let t = ms;
    for (let i = 0; i < 10; i++) {
      time = crockford[t % 32] + time;
      t = Math.floor(t / 32);
    }
    lastMs = ms;
    lastTime = time;
  }
  return lastTime;
}

/**
 * A ULID with a type prefix (`dlv_01J…`): sorts by creation time, so "newest first" is an index
 * scan on the primary key. Clock and randomness are passed in so tests get stable ids.
 */
export function newId(prefix: IdPrefix, nowMs: number, randomBytes: (size: number) => Uint8Array): string {
  const bytes = randomBytes(10);
  // 80 random bits as 16 base-32 digits: two 40-bit halves, exact in a double, 5 bits at a time.
  for (let half = 0; half < 2; half++) {
    const o = half * 5;
    let value =
      (bytes[o] as number) * 2 ** 32 +
      (((bytes[o + 1] as number) << 24) >>> 0) +
      ((bytes[o + 2] as number) << 16) +
      ((bytes[o + 3] as number) << 8) +
      (bytes[o + 4] as number);
    for (let k = 7; k >= 0; k--) {
      randomCodes[half * 8 + k] = digits[value % 32] as number;
      value = Math.floor(value / 32);
    }
  }
  return `${prefix}_${timePart(Math.floor(nowMs))}${String.fromCharCode(...randomCodes)}`;
}

/** A factory bound to a clock and a randomness source; this is what gets injected. */
export type IdFactory = (prefix: IdPrefix) => string;

export function idFactory(now: () => number, randomBytes: (size: number) => Uint8Array): IdFactory {
  return (prefix) => newId(prefix, now(), randomBytes);
}
