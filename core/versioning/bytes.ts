/**
 * Byte writer/reader for the versioning codecs: LEB128 varints extended to 53 bits (JavaScript's safe integers,
 * so no BigInt), sign-folded varints for timestamps, and length-prefixed byte strings. Every read is bounds
 * checked and throws a CodecError naming what was being read and where.
 */
import { CodecError } from './errors';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Timestamps are limited to ±2^52 µs (±142 years around the epoch) so the sign fold stays a safe integer. */
export const MAX_ABS_MICROS = 2 ** 52;

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Forgets what was written, keeping the buffer (for a writer reused across calls). */
  reset(): void {
    this.len = 0;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
  }

  /** Unsigned varint of a safe integer ≥ 0. */
  uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`uvarint needs a safe integer ≥ 0, got ${n}`);
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** Signed varint (sign folded into the low bit) of an integer within ±2^52. */
  svarint(n: number): void {
    if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_ABS_MICROS) throw new RangeError(`svarint out of range: ${n}`);
    // The fold of +2^52 is 2^53: one past the safe range, but exact in a double, so it is written as is.
    this.foldedVarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  private foldedVarint(n: number): void {
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  bytes(data: Uint8Array): void {
    this.uvarint(data.length);
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(text: string): void {
    // Actor ids are short ASCII ("n17#2"): write their code units directly, no TextEncoder call or allocation.
    const n = text.length;
    if (n < 0x80) {
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.len;
      buf[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + 1 + i] = c;
      }
      if (i === n) {
        this.len = start + 1 + n;
        return;
      }
    }
    this.bytes(encoder.encode(text));
  }

  u32le(n: number): void {
    this.ensure(4);
    this.buf[this.len++] = n & 0xff;
    this.buf[this.len++] = (n >>> 8) & 0xff;
    this.buf[this.len++] = (n >>> 16) & 0xff;
    this.buf[this.len++] = (n >>> 24) & 0xff;
  }

  get length(): number {
    return this.len;
  }

  /** The written bytes (a view into the internal buffer — copy if the writer will be reused). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
    private readonly end = data.length,
  ) {}

  fail(reason: string, at = this.pos): never {
    throw new CodecError(this.what, at, reason);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  byte(field: string): number {
    if (this.pos >= this.end) this.fail(`truncated reading ${field}`);
    return this.data[this.pos++]!;
  }

  uvarint(field: string, max = Number.MAX_SAFE_INTEGER): number {
    return this.varint(field, '', max);
  }

  /**
   * `suffix` is appended to `field` in error messages only (e.g. " length"), so the hot path never builds a
   * string per read.
   */
  private varint(field: string, suffix: string, max: number): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail(`truncated reading ${field}${suffix}`, start);
      const b = this.data[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail(`non-canonical varint for ${field}${suffix}`, start);
        break;
      }
      scale *= 0x80;
      if (i >= 7) this.fail(`varint too long for ${field}${suffix}`, start);
    }
    if (result > max) this.fail(`${field}${suffix} exceeds 2^53`, start);
    if (result > Number.MAX_SAFE_INTEGER && !this.isExactly2p53(start)) this.fail(`${field}${suffix} exceeds 2^53`, start);
    return result;
  }

  /** Sums past 2^53 round, so 2^53 itself is accepted only as its one canonical encoding: 0x80 × 7, 0x10. */
  private isExactly2p53(start: number): boolean {
    if (this.pos - start !== 8 || this.data[start + 7] !== 0x10) return false;
    for (let i = start; i < start + 7; i++) if (this.data[i] !== 0x80) return false;
    return true;
  }

  svarint(field: string): number {
    const start = this.pos;
    const z = this.uvarint(field, 2 ** 53); // the fold of +2^52 (see ByteWriter.svarint)
    const n = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (Math.abs(n) > MAX_ABS_MICROS) this.fail(`${field} out of range`, start);
    return n;
  }

  bytes(field: string, maxLength: number): Uint8Array {
    const start = this.pos;
    const length = this.varint(field, ' length', Number.MAX_SAFE_INTEGER);
    if (length > maxLength) this.fail(`${field} length ${length} exceeds ${maxLength}`, start);
    if (length > this.remaining) this.fail(`truncated: ${field} needs ${length} bytes, ${this.remaining} left`, start);
    const out = this.data.slice(this.pos, this.pos + length); // a copy: decoded values must not alias the input
    this.pos += length;
    return out;
  }

  /** A view of the next length-prefixed byte string, without copying (the caller must not let it escape). */
  view(field: string, maxLength: number): Uint8Array {
    const start = this.pos;
    const length = this.varint(field, ' length', Number.MAX_SAFE_INTEGER);
    if (length > maxLength) this.fail(`${field} length ${length} exceeds ${maxLength}`, start);
    if (length > this.remaining) this.fail(`truncated: ${field} needs ${length} bytes, ${this.remaining} left`, start);
    const out = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  string(field: string, maxBytes: number): string {
    const start = this.pos;
    const length = this.varint(field, ' length', Number.MAX_SAFE_INTEGER);
    if (length > maxBytes) this.fail(`${field} length ${length} exceeds ${maxBytes}`, start);
    if (length > this.remaining) this.fail(`truncated: ${field} needs ${length} bytes, ${this.remaining} left`, start);
    const from = this.pos;
    this.pos += length;
    // Short ASCII (every actor id in practice): interned, so decoding the same actor again allocates nothing.
    if (length <= 64) {
      const interned = internAscii(this.data, from, length);
      if (interned !== undefined) return interned;
    }
    try {
      return decoder.decode(this.data.subarray(from, from + length));
    } catch {
      return this.fail(`${field} is not valid UTF-8`, start);
    }
  }
}

/**
 * Short ASCII strings decoded before, by a hash of their bytes (actor ids: a few per node in a cluster). A hit
 * is confirmed character by character, so a hash collision only costs a miss. Bounded: cleared when full.
 */
const internTable = new Map<number, string>();
const INTERN_LIMIT = 8192;

function internAscii(data: Uint8Array, from: number, length: number): string | undefined {
  let hash = length;
  for (let i = from; i < from + length; i++) {
    const b = data[i]!;
    if (b >= 0x80) return undefined;
    hash = Math.imul(hash ^ b, 0x01000193);
  }
  const known = internTable.get(hash);
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known.charCodeAt(i) !== data[from + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const made = String.fromCharCode.apply(null, data.subarray(from, from + length) as unknown as number[]);
  if (internTable.size >= INTERN_LIMIT) internTable.clear();
  internTable.set(hash, made);
  return made;
}
