/**
 * Case-insensitive header lookup over a plain record; names passed to get/has are lower-case.
 * Lookups try the exact key first, which is what Node's http module, HTTP/2 and most dumps give;
 * only a miss builds the lower-cased copy. Verify runs once per message in a batch, so the
 * common path allocates nothing.
 */
export class HeaderMap {
  // Assigned in the constructor rather than declared as class fields: one is built per message,
  // and plain stores are cheaper than defining three fields each time.
  declare private lowered: Map<string, string> | undefined;
  declare private onlyLowerCase: boolean | undefined;
  declare private readonly headers: Record<string, string>;

  constructor(headers: Record<string, string>) {
    this.headers = headers;
    this.lowered = undefined;
    this.onlyLowerCase = undefined;
  }

  get(name: string): string | undefined {
    const exact = Object.hasOwn(this.headers, name) ? this.headers[name] : undefined;
    if (typeof exact === "string") return exact;
    // Node's request headers are all lower-case already: a miss there is a miss (detecting a
    // scheme misses six times per request).
    this.onlyLowerCase ??= Object.keys(this.headers).every((key) => key === key.toLowerCase());
    return this.onlyLowerCase ? undefined : this.all().get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every header name, lower-cased. */
  names(): string[] {
    return [...this.all().keys()];
  }

  get size(): number {
    return this.all().size;
  }

  private all(): Map<string, string> {
    if (!this.lowered) {
      this.lowered = new Map();
      for (const name of Object.keys(this.headers)) {
        const value = this.headers[name];
        if (typeof value === "string") this.lowered.set(name.toLowerCase(), value);
      }
    }
    return this.lowered;
  }
}

export function headerMap(headers: Record<string, string>): HeaderMap {
  return new HeaderMap(headers);
}
