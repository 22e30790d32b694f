/**
 * Copies of values handed out by `get`, carved from shared slabs instead of one allocation each.
 *
 * A get must return a copy (the entry it found may sit in the read scratch buffer or a cached block), and a
 * fresh `Uint8Array` per value costs a backing-store allocation that V8 tracks for the GC — ~0.5 µs for 1 KiB
 * on the 2-core machine, a tenth of a whole point read. Small copies instead share a 16 KiB slab (Node's
 * `Buffer.allocUnsafe` pool does the same with 8 KiB): one allocation per ~16 one-KiB values. The price is the
 * same as Node's: a value kept alive keeps its slab alive, at most 16 KiB per value — so only values up to a
 * quarter of a slab use it, larger ones get their own buffer.
 */
const SLAB_BYTES = 16 * 1024;
const MAX_SLABBED_BYTES = SLAB_BYTES / 4;

export class ValueSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private used = 0;

  /** A copy of `bytes` that the caller may keep and mutate; it shares nothing with later copies. */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (length > MAX_SLABBED_BYTES) return bytes.slice();
    if (this.used + length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + length);
    out.set(bytes);
    // 8-byte steps keep each copy word-aligned (typed-array views and CRC word loops over it stay cheap).
    this.used += (length + 7) & ~7;
    return out;
  }
}
