import { encodedSize, type Entry, type EntryKind } from './entry';
import { fnv1a30 } from './bytes';

/**
 * The in-memory write buffer: a skip list ordered by key, holding only the newest version of each key (the
 * engine keeps no snapshots, so older versions in the same memtable can never be read). Writes overwrite in
 * place; `approximateBytes` grows with every write so a memtable of overwrites still fills up and flushes.
 *
 * A skip list rather than a sorted array because inserts are O(log n) without moving anything, and iteration
 * is a linked-list walk that stays valid while later writes insert (scans see a consistent-enough view: they
 * run synchronously, so nothing inserts during one anyway). Point lookups and overwrites go through a hash
 * index over the same nodes instead (O(1), no byte comparisons down the levels): the simulator's nodes do
 * several of them per message.
 *
 * Level choice needs randomness; core/ may not use the global PRNG, and the skip list's shape must not depend on
 * anything outside the engine, so a fixed-seed xorshift drives it. The shape affects only speed, never results.
 *
 * Nodes live in typed arrays, one column per field, indexed by node id (struct-of-arrays):
 *
 *     id:        0 (head)  1        2        3      …   count
 *     q0..q3     ·         key[0..12) as four 3-byte big-endian integers (what a descent compares)
 *     next0      level-0 successor id (0 = none: the head is never a successor)
 *     upperAt    where the node's links for levels 1 … height − 1 start in `upper` (−1: height 1)
 *     kind/seq/time
 *     keyAt/keyLength, valueAt/valueLength   where the key's and the value's bytes are in the arena
 *     hashes     the key's hash, for rehashing the exact-match index
 *
 * The memtable keeps its own copy of every key and value, appended to an arena of chunks (a value larger
 * than a quarter of a chunk gets a chunk of its own); a position packs the chunk number and the offset in it
 * (chunk × 2^22 + offset). Bytes are never written twice, so a view handed out by `get` or a cursor stays
 * valid for as long as its holder keeps it (it keeps the chunk alive).
 *
 * Why not one object per node (as before): a descent visits ~30 nodes of a 60 000-entry memtable in random
 * memory order. As objects, each visit was a cache miss on a ~150-byte object; as columns, the prefix
 * integers of every node fit in 1 MB, so a descent mostly stays in cache. On a real node under PUT load the
 * object skip list's insert was 8–9 % of the node's CPU. Objects that live until the flush are also what
 * every young-generation collection copies and then promotes; the columns and the arena are a handful of
 * arrays, where a view per key and per value were two objects per entry.
 */
const MAX_HEIGHT = 12;
const INITIAL_CAPACITY = 64;
/** A position in the arena is chunk × CHUNK_SPAN + offset (chunks are at most 4 MiB; larger values get a chunk of their own, at offset 0). */
const CHUNK_SPAN = 4 * 1024 * 1024;

/** Bytes [from, from + 3) of `key` as a big-endian integer, zero-padded (always below 2^24). */
function prefix3(key: Uint8Array, from: number): number {
  const n = key.length;
  return ((from < n ? key[from]! : 0) << 16) | ((from + 1 < n ? key[from + 1]! : 0) << 8) | (from + 2 < n ? key[from + 2]! : 0);
}

/** FNV-1a of the key, folded to 30 bits. */
const keyHash = fnv1a30;

const EMPTY = new Uint8Array(0);

export class Memtable {
  private capacity = INITIAL_CAPACITY;
  private q0 = new Int32Array(INITIAL_CAPACITY);
  private q1 = new Int32Array(INITIAL_CAPACITY);
  private q2 = new Int32Array(INITIAL_CAPACITY);
  private q3 = new Int32Array(INITIAL_CAPACITY);
  private next0 = new Int32Array(INITIAL_CAPACITY);
  private upperAt = new Int32Array(INITIAL_CAPACITY);
  private kinds = new Uint8Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private hashes = new Int32Array(INITIAL_CAPACITY);
  private keyAt = new Float64Array(INITIAL_CAPACITY);
  private keyLength = new Int32Array(INITIAL_CAPACITY);
  private valueAt = new Float64Array(INITIAL_CAPACITY);
  private valueLength = new Int32Array(INITIAL_CAPACITY);
  /** The arena: chunks of copied keys and values, appended to and never rewritten. */
  private readonly chunks: Uint8Array[] = [];
  private chunk = EMPTY;
  /** Index of `chunk` in `chunks` (a large value's own chunk may have been pushed after it). */
  private chunkIndex = -1;
  private chunkUsed = 0;
  /** Links of levels ≥ 1, `height − 1` consecutive slots per node that has them (a quarter of the nodes). */
  private upper = new Int32Array(INITIAL_CAPACITY);
  private upperUsed = 0;
  /** Exact-match index: open addressing over node ids (0 = empty slot), linear probing, at most half full. */
  private slots = new Int32Array(INITIAL_CAPACITY * 2);
  private height = 1;
  private rng = 0x2545f491;
  private readonly update = new Int32Array(MAX_HEIGHT);
  count = 0;
  approximateBytes = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  constructor(
    /** Number of the first WAL file holding this memtable's writes; older logs are not needed once it flushes. */
    readonly firstWalNumber: number,
    /** Arena chunk size (the engine uses memtableBytes / 64, within 4 KiB … 256 KiB); allocated on first use. */
    private readonly chunkBytes = 64 * 1024,
  ) {
    if (!(chunkBytes >= 16 && chunkBytes <= CHUNK_SPAN)) throw new RangeError(`memtable chunkBytes must be 16 … ${CHUNK_SPAN}, got ${chunkBytes}`);
    // The head (id 0) has every level; its links start out empty (0).
    this.upperAt[0] = this.reserveUpper(MAX_HEIGHT - 1);
  }

  private randomHeight(): number {
    let h = 1;
    while (h < MAX_HEIGHT) {
      let x = this.rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.rng = x >>> 0;
      if ((this.rng & 3) !== 0) break; // p = 1/4 per level
      h++;
    }
    return h;
  }

  private nextAt(node: number, level: number): number {
    return level === 0 ? this.next0[node]! : this.upper[this.upperAt[node]! + level - 1]!;
  }

  private setNext(node: number, level: number, next: number): void {
    if (level === 0) this.next0[node] = next;
    else this.upper[this.upperAt[node]! + level - 1] = next;
  }

  /** Inserts or overwrites. Sequence numbers must arrive in increasing order (the engine assigns them). */
  apply(entry: Entry): void {
    this.approximateBytes += encodedSize(entry) + 32;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
    const key = entry.key;
    const hash = keyHash(key);
    const found = this.find(key, hash);
    if (found !== 0) {
      this.kinds[found] = entry.kind;
      this.seqs[found] = entry.seq;
      this.times[found] = entry.time;
      this.valueAt[found] = this.copyIn(entry.value);
      this.valueLength[found] = entry.value.length;
      return;
    }
    if (this.count + 1 >= this.capacity) this.grow();
    const q0 = prefix3(key, 0);
    const q1 = prefix3(key, 3);
    const q2 = prefix3(key, 6);
    const q3 = prefix3(key, 9);
    const update = this.update;
    this.descend(key, q0, q1, q2, q3, update);
    const height = this.randomHeight();
    if (height > this.height) {
      for (let level = this.height; level < height; level++) update[level] = 0;
      this.height = height;
    }
    const id = ++this.count;
    this.q0[id] = q0;
    this.q1[id] = q1;
    this.q2[id] = q2;
    this.q3[id] = q3;
    this.kinds[id] = entry.kind;
    this.seqs[id] = entry.seq;
    this.times[id] = entry.time;
    this.hashes[id] = hash;
    this.keyAt[id] = this.copyIn(key);
    this.keyLength[id] = key.length;
    this.valueAt[id] = this.copyIn(entry.value);
    this.valueLength[id] = entry.value.length;
    this.upperAt[id] = height > 1 ? this.reserveUpper(height - 1) : -1;
    for (let level = 0; level < height; level++) {
      const prev = update[level]!;
      this.setNext(id, level, this.nextAt(prev, level));
      this.setNext(prev, level, id);
    }
    this.index(id, hash);
  }

  /** The newest entry for `key` (possibly a tombstone), or undefined. A fresh object: a later write to the key does not change it. */
  get(key: Uint8Array): Entry | undefined {
    if (this.count === 0) return undefined; // an empty memtable (the usual active one after a flush) needs no hash
    const id = this.find(key, keyHash(key));
    return id === 0 ? undefined : this.entryOf(id);
  }

  /** @internal the entry held by node `id` (used by the cursor). */
  entryOf(id: number): Entry {
    return {
      kind: this.kinds[id] as EntryKind,
      seq: this.seqs[id]!,
      time: this.times[id]!,
      key: this.view(this.keyAt[id]!, this.keyLength[id]!),
      value: this.view(this.valueAt[id]!, this.valueLength[id]!),
    };
  }

  /** A copy of `bytes` in the arena; returns its position. */
  private copyIn(bytes: Uint8Array): number {
    const length = bytes.length;
    if (length === 0) return 0;
    if (length > this.chunkBytes >>> 2) {
      // Large: a chunk of its own, so the arena's chunks stay small and a value never straddles two.
      this.chunks.push(bytes.slice());
      return (this.chunks.length - 1) * CHUNK_SPAN;
    }
    if (this.chunkUsed + length > this.chunk.length) {
      this.chunk = new Uint8Array(this.chunkBytes);
      this.chunkIndex = this.chunks.push(this.chunk) - 1;
      this.chunkUsed = 0;
    }
    const at = this.chunkUsed;
    this.chunk.set(bytes, at);
    this.chunkUsed = at + length;
    return this.chunkIndex * CHUNK_SPAN + at;
  }

  /** The `length` bytes at arena position `at`, as a view. */
  private view(at: number, length: number): Uint8Array {
    if (length === 0) return EMPTY;
    const chunk = Math.floor(at / CHUNK_SPAN);
    const offset = at - chunk * CHUNK_SPAN;
    return this.chunks[chunk]!.subarray(offset, offset + length);
  }

  /** memcmp of node `id`'s key against `key`. */
  private compareKey(id: number, key: Uint8Array): number {
    const at = this.keyAt[id]!;
    const chunk = Math.floor(at / CHUNK_SPAN);
    const bytes = this.chunks[chunk]!;
    const offset = at - chunk * CHUNK_SPAN;
    const length = this.keyLength[id]!;
    const n = Math.min(length, key.length);
    for (let i = 0; i < n; i++) {
      const d = bytes[offset + i]! - key[i]!;
      if (d !== 0) return d;
    }
    return length - key.length;
  }

  /** @internal level-0 successor of node `id` (0: none). */
  successor(id: number): number {
    return this.next0[id]!;
  }

  /** First node with key ≥ `key` (or the first node when `key` is undefined); 0 when there is none. */
  seekNode(key: Uint8Array | undefined): number {
    if (key === undefined) return this.next0[0]!;
    return this.next0[this.descend(key, prefix3(key, 0), prefix3(key, 3), prefix3(key, 6), prefix3(key, 9), null)]!;
  }

  /**
   * The last node with key < `key`, walking down from the top level; with `update`, also records the last node
   * visited on each level (where an insert links in). Compares the nodes' prefix integers first (zero-padded
   * prefixes that differ order the keys as memcmp does); only equal prefixes need the key bytes.
   */
  private descend(key: Uint8Array, q0: number, q1: number, q2: number, q3: number, update: Int32Array | null): number {
    const p0 = this.q0;
    const p1 = this.q1;
    const p2 = this.q2;
    const p3 = this.q3;
    let node = 0;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = this.nextAt(node, level);
      while (next !== 0) {
        const a = p0[next]!;
        let before: boolean;
        if (a !== q0) before = a < q0;
        else if (p1[next] !== q1) before = p1[next]! < q1;
        else if (p2[next] !== q2) before = p2[next]! < q2;
        else if (p3[next] !== q3) before = p3[next]! < q3;
        else before = this.compareKey(next, key) < 0;
        if (!before) break;
        node = next;
        next = this.nextAt(node, level);
      }
      if (update !== null) update[level] = node;
    }
    return node;
  }

  /** The node holding `key` (its hash given), or 0. */
  private find(key: Uint8Array, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]!;
      if (id === 0) return 0;
      if (this.hashes[id] === hash && this.keyLength[id] === key.length && this.compareKey(id, key) === 0) return id;
    }
  }

  private index(id: number, hash: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = id;
  }

  /** `slots` links of levels ≥ 1, from the pool. */
  private reserveUpper(slots: number): number {
    if (this.upperUsed + slots > this.upper.length) {
      const grown = new Int32Array(Math.max(this.upper.length * 2, this.upperUsed + slots));
      grown.set(this.upper);
      this.upper = grown;
    }
    const at = this.upperUsed;
    this.upperUsed += slots;
    return at;
  }

  /** Doubles every column, and the index (rehashed from the stored hashes). */
  private grow(): void {
    const capacity = this.capacity * 2;
    const widen = <T extends Int32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(old);
      return grown;
    };
    this.q0 = widen(this.q0, (n) => new Int32Array(n));
    this.q1 = widen(this.q1, (n) => new Int32Array(n));
    this.q2 = widen(this.q2, (n) => new Int32Array(n));
    this.q3 = widen(this.q3, (n) => new Int32Array(n));
    this.next0 = widen(this.next0, (n) => new Int32Array(n));
    this.upperAt = widen(this.upperAt, (n) => new Int32Array(n));
    this.kinds = widen(this.kinds, (n) => new Uint8Array(n));
    this.seqs = widen(this.seqs, (n) => new Float64Array(n));
    this.times = widen(this.times, (n) => new Float64Array(n));
    this.hashes = widen(this.hashes, (n) => new Int32Array(n));
    this.keyAt = widen(this.keyAt, (n) => new Float64Array(n));
    this.keyLength = widen(this.keyLength, (n) => new Int32Array(n));
    this.valueAt = widen(this.valueAt, (n) => new Float64Array(n));
    this.valueLength = widen(this.valueLength, (n) => new Int32Array(n));
    this.capacity = capacity;
    this.slots = new Int32Array(capacity * 2);
    for (let id = 1; id <= this.count; id++) this.index(id, this.hashes[id]!);
  }

  cursor(): MemtableCursor {
    return new MemtableCursor(this);
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }
}

/**
 * An ordered cursor over a memtable (see EntryCursor in merge.ts). `entry()` builds the entry once per position
 * and hands the same object back until the cursor moves (the merging cursor compares entries by identity).
 */
export class MemtableCursor {
  private node = 0;
  private current: Entry | null = null;

  constructor(private readonly memtable: Memtable) {}

  seek(key: Uint8Array | undefined): void {
    this.node = this.memtable.seekNode(key);
    this.current = null;
  }

  valid(): boolean {
    return this.node !== 0;
  }

  entry(): Entry {
    return (this.current ??= this.memtable.entryOf(this.node));
  }

  next(): void {
    this.node = this.memtable.successor(this.node);
    this.current = null;
  }
}
