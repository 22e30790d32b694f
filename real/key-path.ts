/**
 * Keys in URLs. Keys are arbitrary bytes (≤ 256), so the path segment after /v1/keys/ is percent-decoded to
 * *bytes* — not through a UTF-8 string, which would mangle %FF — and keys are encoded back the same way:
 * every byte outside RFC 3986's pchar set becomes %XX. Readable keys such as `user:42:avatar` stay readable.
 * A prefix in a query string (GET /v1/keys?prefix=) is decoded by the same rules: `+` is a plus, not a space.
 */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

export class KeyPathError extends Error {}

/** `what` names the decoded thing in error messages ('key', or 'prefix' for GET /v1/keys?prefix=). */
export function decodeKeyPath(segment: string, what = 'key'): Uint8Array {
  // One pass over char codes into a buffer of the worst-case size (a non-ASCII char is at most 3 UTF-8 bytes
  // per UTF-16 unit): this runs on every request, and a TextEncoder call per character cost more than the
  // rest of the routing.
  const out = new Uint8Array(segment.length * 3);
  let n = 0;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const high = hexValue(segment.charCodeAt(i + 1));
      const low = hexValue(segment.charCodeAt(i + 2));
      if (high < 0 || low < 0) throw new KeyPathError(`malformed percent-escape '%${segment.slice(i + 1, i + 3)}' at position ${i} of the ${what}`);
      out[n++] = (high << 4) | low;
      i += 2;
    } else if (code < 0x80) {
      out[n++] = code;
    } else {
      for (const byte of utf8.encode(segment[i]!)) out[n++] = byte;
    }
  }
  return out.slice(0, n);
}

const utf8 = new TextEncoder();

/** The value of one hex digit's char code, or -1 (also for NaN, past the end of the string). */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
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

/**
 * A key (or prefix) as a query-string value, decoded by the server with decodeKeyPath: as encodeKeyPath, plus
 * `&`, `=` and `+`, which delimit parameters or read as a space to form decoders.
 */
export function encodeKeyQuery(key: Uint8Array | string): string {
  return encodeKeyPath(key).replace(/[&=+]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}
