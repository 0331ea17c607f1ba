/**
 * Serve small random reads (ULID ids, 10 bytes each) from one larger read: a crypto call per
 * request costs more than the rest of a request's bookkeeping put together.
 */
export function pooledRandomBytes(
  source: (size: number) => Uint8Array,
  poolSize = 4096,
): (size: number) => Uint8Array {
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return (size) => {
    if (size > poolSize) return source(size);
    if (offset + size > pool.length) {
      pool = source(poolSize);
      offset = 0;
    }
    const bytes = pool.slice(offset, offset + size);
    offset += size;
    return bytes;
  };
}
