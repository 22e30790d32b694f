import { fmix32 } from '../../core/ring/hash';
/**
 * The set of operations the linearizability search has placed so far, with what its memo needs: an
 * incremental 64-bit hash (two 32-bit Zobrist lanes) and a compact exact snapshot for verifying hash hits.
 *
 * Why compact: the memo keeps one snapshot per configuration explored, and a hot key can have tens of
 * thousands of operations; a full bit set per entry would cost gigabytes. Operations are numbered in invoke
 * order, and the search places them roughly in that order, so the set is almost always "everything below
 * `low`" plus a handful of operations above it (those concurrent with the earliest unplaced one). The
 * snapshot is exactly that: `[low, ...members above low]`. It stays exact in every case, only larger when
 * the set is ragged.
 */
export class LinearizedSet {
  private readonly bits: Uint32Array;
  private readonly zobristA: Uint32Array;
  private readonly zobristB: Uint32Array;
  hashA = 0;
  hashB = 0;
  /** Every operation below `low` is a member; `low` itself is not. */
  private low = 0;
  /** The largest member, or -1 when empty. */
  private high = -1;
  private count = 0;

  constructor(readonly size: number) {
    this.bits = new Uint32Array(Math.ceil(size / 32));
    this.zobristA = new Uint32Array(size);
    this.zobristB = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      this.zobristA[i] = fmix32(2 * i + 1);
      this.zobristB[i] = fmix32(2 * i + 0x9e3779b9);
    }
  }

  get members(): number {
    return this.count;
  }

  has(i: number): boolean {
    return (((this.bits[i >>> 5] as number) >>> (i & 31)) & 1) === 1;
  }

  add(i: number): void {
    if (this.has(i)) throw new Error(`linearized set: operation ${i} added twice`);
    this.flip(i);
    this.count++;
    if (i > this.high) this.high = i;
    if (i === this.low) while (this.low < this.size && this.has(this.low)) this.low++;
  }

  remove(i: number): void {
    if (!this.has(i)) throw new Error(`linearized set: operation ${i} removed but not a member`);
    this.flip(i);
    this.count--;
    if (i < this.low) this.low = i;
    if (i === this.high) {
      let h = i - 1;
      while (h >= 0 && !this.has(h)) h--;
      this.high = h;
    }
  }

  /** `[low, ...members above low]`, ascending. */
  snapshot(): Int32Array {
    const out: number[] = [this.low];
    this.forEachAboveLow((i) => {
      out.push(i);
      return true;
    });
    return Int32Array.from(out);
  }

  /** Whether `snapshot` (from `snapshot()`) describes exactly the current set. */
  matches(snapshot: Int32Array): boolean {
    if (snapshot[0] !== this.low) return false;
    let position = 1;
    const same = this.forEachAboveLow((i) => snapshot[position++] === i);
    return same && position === snapshot.length;
  }

  /** Visits members above `low` in ascending order until `visit` returns false; returns false if it stopped early. */
  private forEachAboveLow(visit: (i: number) => boolean): boolean {
    if (this.high <= this.low) return true;
    for (let word = (this.low + 1) >>> 5; word <= this.high >>> 5; word++) {
      let w = this.bits[word] as number;
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        w &= w - 1;
        const i = word * 32 + bit;
        if (i > this.low && !visit(i)) return false;
      }
    }
    return true;
  }

  private flip(i: number): void {
    this.bits[i >>> 5] = (this.bits[i >>> 5] as number) ^ (1 << (i & 31));
    this.hashA = (this.hashA ^ (this.zobristA[i] as number)) >>> 0;
    this.hashB = (this.hashB ^ (this.zobristB[i] as number)) >>> 0;
  }
}

