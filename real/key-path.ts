/**
 * Keys in URLs. Keys are arbitrary bytes (≤ 256), so the path segment after /v1/keys/ is percent-decoded to
 * *bytes* — not through a UTF-8 string, which would mangle %FF — and keys are encoded back the same way:
 * every byte outside RFC 3986's pchar set becomes %XX. Readable keys such as `user:42:avatar` stay readable.
 * A prefix in a query string (GET /v1/keys?prefix=) is decoded by the same rules: `+` is a plus, not a space.
 */
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

/**
 * `%XX` for every byte value. The encoders below turn the key into a latin1 string (one char per byte) and
 * replace only what needs escaping, with one regex pass. Found by a review: a regex test and a string append
 * per byte cost ~200 µs per 214-byte key — mostly the collector's, tracing the string of 214 pieces each key
 * became — so listing 10 000 keys blocked the coordinator's event loop for 2 s. This is the same output,
 * byte for byte (test/real/key-path-speed.test.ts checks it against the per-byte encoder), ~50× faster.
 */
const ESCAPED = Array.from({ length: 256 }, (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`);
/** Bytes outside the pchar set (as latin1 chars): what a key path escapes. */
const PATH_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g;
/** As PATH_UNSAFE, plus `&`, `=` and `+`: what a query value escapes. */
const QUERY_UNSAFE = /[^A-Za-z0-9\-._~!$'()*,;:@]/g;
const escape = (ch: string): string => ESCAPED[ch.charCodeAt(0)]!;

function latin1(key: Uint8Array | string): string {
  const bytes = typeof key === 'string' ? utf8.encode(key) : key;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function encodeKeyPath(key: Uint8Array | string): string {
  return latin1(key).replace(PATH_UNSAFE, escape);
}

/**
 * A key (or prefix) as a query-string value, decoded by the server with decodeKeyPath: as encodeKeyPath, plus
 * `&`, `=` and `+`, which delimit parameters or read as a space to form decoders.
 */
export function encodeKeyQuery(key: Uint8Array | string): string {
  return latin1(key).replace(QUERY_UNSAFE, escape);
}
