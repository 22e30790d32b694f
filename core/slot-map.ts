/**
 * A map from integer ids to values, for state that lives as long as one request or timer: set once, deleted
 * soon after, thousands of times a second (pending reads and writes by request id, timers by timer id).
 *
 * Why not a `Map`: V8 holds a Map's entries in a hash table that it replaces (rehashes) as deletions pile up,
 * and the replaced table, once it has been promoted to the old generation, still points at every value that
 * was in it. Until the next full collection those stale pointers keep young values alive, so every young-
 * generation GC copies them and then promotes them. Measured in Node 20: a long-lived Map with set/delete churn
 * promoted ~1.5 KB of a ~1.9 KB value per operation (an array slot: ~50 B) and ran 3× slower; on a real node
 * under GET load the Maps holding requests and timers promoted ~5.6 KB per request, and garbage collection
 * was the largest item in a node's CPU profile.
 *
 * This table is open addressing with linear probing over two parallel arrays. A delete clears its slot and
 * shifts later entries of the same probe run back (no tombstones), so a slot never points at a value after its
 * delete; when the table grows, the old value array is cleared after the move, so no discarded array keeps a
 * value alive either. Keys are non-negative integers below 2^53.
 */
const EMPTY = -1;

export class SlotMap<V> {
  private keys: Float64Array;
  private values: (V | undefined)[];
  private mask: number;
  /** 32 − log2(capacity): the hash's top bits pick the home slot. */
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let capacity = 8;
    while (capacity < initialCapacity) capacity *= 2;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    if (!(key >= 0)) return undefined; // never match the EMPTY marker (or NaN)
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === key) return this.values[i];
      if (k === EMPTY) return undefined;
    }
  }

  has(key: number): boolean {
    if (!(key >= 0)) return false;
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === key) return true;
      if (k === EMPTY) return false;
    }
  }

  set(key: number, value: V): this {
    if (!(key >= 0 && Number.isSafeInteger(key))) throw new RangeError(`SlotMap keys are integers ≥ 0, got ${key}`);
    // At most half full: probe runs stay short.
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === key) {
        this.values[i] = value;
        return this;
      }
      if (k === EMPTY) {
        keys[i] = key;
        this.values[i] = value;
        this.count++;
        return this;
      }
    }
  }

  /** Removes `key`; true if it was there. */
  delete(key: number): boolean {
    if (!(key >= 0)) return false;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) break;
      if (k === EMPTY) return false;
    }
    // Backward-shift deletion: move later members of the probe run into the hole when their home allows it.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      // j's entry may fill the hole if its home is not cyclically within (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        keys[hole] = keys[j]!;
        values[hole] = values[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    values[hole] = undefined;
    this.count--;
    return true;
  }

  /** Every value, in no particular order (a snapshot: the caller may delete while walking it). */
  valueList(): V[] {
    const out: V[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) out.push(this.values[i] as V);
    return out;
  }

  /** Every key, in no particular order (a snapshot). */
  keyList(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) out.push(this.keys[i]!);
    return out;
  }

  /** Every [key, value] pair, in no particular order (a snapshot). */
  entryList(): [number, V][] {
    const out: [number, V][] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) out.push([this.keys[i]!, this.values[i] as V]);
    return out;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.values.fill(undefined);
    this.count = 0;
  }

  /** Fibonacci hashing: the top bits of id × 2^32/φ, so sequential ids and ids sharing low bits both spread. */
  private home(key: number): number {
    // Fold the high word in so keys above 2^32 spread too.
    const folded = (key >>> 0) ^ ((key / 4294967296) >>> 0);
    return Math.imul(folded, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = oldKeys.length * 2;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.set(oldKeys[i]!, oldValues[i] as V);
    // The old array is garbage now, but it may be in the old generation: leave it pointing at nothing.
    oldValues.fill(undefined);
  }
}
