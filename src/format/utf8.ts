const strict = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text when they are valid UTF-8, else undefined (binary, or another encoding). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
