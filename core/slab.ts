/**
 * A bump allocator for byte strings: copies land in a shared chunk instead of each getting an ArrayBuffer of
 * its own. One class serves two users, each with its own chunk size:
 * - encoded messages (core/replication/messages.ts) and simulated workload values (sim/workload.ts), 256 KiB;
 * - values returned by the engine's `get` (64 KiB; see StorageEngine.valueCopies).
 * (The memtable keeps its copies in an arena of its own, addressed by offset: no view per key and value.)
 *
 * Why: a fresh Uint8Array of a few hundred bytes costs ~0.45 µs in V8 (a backing store per array, tracked by
 * the GC), a view into a chunk ~0.1 µs; objects that survive in numbers make every collection slower too.
 *
 * The cost: a chunk stays alive while any view into it does, so inputs above `maxSlabbedBytes` get an array of
 * their own and a kept copy pins at most one chunk. Chunk space is never reused, so a handed-out view is never
 * written again (the transport contract in core/env/transport.ts relies on it). The first chunk is allocated
 * on first use.
 */
export class Slab {
  private chunk = new Uint8Array(0);
  private used = 0;

  constructor(
    private readonly chunkBytes = 256 * 1024,
    /** Larger inputs get an array of their own. */
    private readonly maxSlabbedBytes = chunkBytes >>> 3,
  ) {}

  /** A copy of `bytes` (a view into the current chunk; oversized inputs get an array of their own). */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.allocate(bytes.length);
    out.set(bytes);
    return out;
  }

  /** `length` zeroed bytes of their own (a view into the current chunk; oversized ones get an array of their own). */
  allocate(length: number): Uint8Array {
    if (length > this.maxSlabbedBytes) return new Uint8Array(length);
    if (this.used + length > this.chunk.length) {
      this.chunk = new Uint8Array(this.chunkBytes);
      this.used = 0;
    }
    const start = this.used;
    // 8-byte aligned starts, so a reader's DataView or Float64Array over a field never sees odd alignment.
    this.used = (start + length + 7) & ~7;
    return this.chunk.subarray(start, start + length);
  }
}
