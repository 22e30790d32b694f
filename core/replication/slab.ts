/**
 * A bump allocator for short-lived byte strings: copies land in a shared chunk instead of each getting an
 * ArrayBuffer of its own.
 *
 * Why: a fresh Uint8Array of a few hundred bytes costs ~0.45 µs in V8 (a backing store per array, tracked by
 * the GC), a view into a chunk ~0.1 µs. A 500-node simulation encodes ~12 K messages per simulated second;
 * their copies out of the codec's scratch writer were a visible share of the run, and of its GC work.
 *
 * The cost: a chunk stays alive while any view into it does. So use it only for bytes that live about as long
 * as a request (encoded messages — see core/env/transport.ts: a receiver copies what it keeps longer).
 * Chunk space is never reused, so a handed-out view is never written again (the transport contract).
 */
export class Slab {
  private chunk: Uint8Array;
  private used = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = new Uint8Array(chunkBytes);
  }

  /** A copy of `bytes` (a view into the current chunk; oversized inputs get an array of their own). */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.allocate(bytes.length);
    out.set(bytes);
    return out;
  }

  /** `length` zeroed bytes of their own (a view into the current chunk; oversized ones get an array of their own). */
  allocate(length: number): Uint8Array {
    if (length > this.chunkBytes >>> 3) return new Uint8Array(length);
    if (this.used + length > this.chunkBytes) {
      this.chunk = new Uint8Array(this.chunkBytes);
      this.used = 0;
    }
    const start = this.used;
    // 8-byte aligned starts, so a reader's DataView or Float64Array over a field never sees odd alignment.
    this.used = (start + length + 7) & ~7;
    return this.chunk.subarray(start, start + length);
  }
}
