/**
 * Keys in URLs. Keys are arbitrary bytes (≤ 256), so the path segment after /v1/keys/ is percent-decoded to
 * *bytes* — not through a UTF-8 string, which would mangle %FF — and keys are encoded back the same way:
 * every byte outside RFC 3986's pchar set becomes %XX. Readable keys such as `user:42:avatar` stay readable.
 */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

export class KeyPathError extends Error {}

export function decodeKeyPath(segment: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '%') {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new KeyPathError(`malformed percent-escape '%${hex}' at position ${i} of the key`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const byte of utf8.encode(ch)) out.push(byte);
    }
  }
  return Uint8Array.from(out);
}

export function encodeKeyPath(key: Uint8Array | string): string {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PCHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
