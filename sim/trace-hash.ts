import { fmix32 } from '../core/ring/hash';

/**
 * The trace hash: a running 64-bit fingerprint of every event the simulator delivers, in order.
 *
 * Two runs with the same seed must produce the same hash; any divergence (a different delivery time, a
 * different message, a different order) changes it. It is a fingerprint for replay checking, not a
 * cryptographic digest: two independent 32-bit FNV-1a-style lanes with different offsets and an avalanche
 * finish, mixed with Math.imul so it stays in fast integer arithmetic.
 */
export class TraceHash {
  private low = 0x811c9dc5 | 0;
  private high = 0x01000193 ^ 0x5bd1e995;
  private eventCount = 0;

  /** Mixes a non-negative or negative integer (up to 2^53) into the hash. */
  mixNumber(value: number): void {
    const lowWord = value | 0;
    const highWord = Math.floor(value / 4294967296) | 0;
    this.mixWord(lowWord);
    this.mixWord(highWord);
  }

  /** Mixes a string (by UTF-16 code units) into the hash. */
  mixString(text: string): void {
    for (let i = 0; i < text.length; i++) this.mixWord(text.charCodeAt(i));
    this.mixWord(text.length);
  }

  /** Mixes raw bytes into the hash, four at a time. */
  mixBytes(bytes: Uint8Array): void {
    const length = bytes.length;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      this.mixWord(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    }
    let tail = 0;
    for (let shift = 0; i < length; i++, shift += 8) tail |= bytes[i]! << shift;
    this.mixWord(tail);
    this.mixWord(length);
  }

  /** Marks the end of one event, so (a,b)(c) and (a)(b,c) hash differently. */
  endEvent(): void {
    this.eventCount++;
    this.mixWord(0x9e3779b9);
  }

  get events(): number {
    return this.eventCount;
  }

  /** The current fingerprint as 16 hex digits. */
  hex(): string {
    const a = fmix32(this.low ^ this.high);
    const b = fmix32(this.high + Math.imul(this.low, 0x27d4eb2d));
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }

  private mixWord(word: number): void {
    this.low = Math.imul(this.low ^ word, 0x01000193);
    this.high = Math.imul(this.high ^ Math.imul(word, 0xcc9e2d51), 0x1b873593) ^ (this.high >>> 15);
  }
}
