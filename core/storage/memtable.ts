import { compareBytes } from './bytes';
import { encodedSize, type Entry, type EntryKind } from './entry';

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
 */
const MAX_HEIGHT = 12;

/**
 * A skip-list node is also the entry it holds (kind, seq, time, key, value: it satisfies `Entry`), and carries
 * no per-node array or boxed number for the common case — every object a node owns lives until its memtable is
 * flushed, so each one is copied by every young-generation GC it survives and promoted after that. On a real
 * node under write load those survivors were most of what made each scavenge take milliseconds. Hence:
 * - the key's first 12 bytes as four 3-byte integers (small integers are stored in the object itself; the
 *   two 6-byte doubles this replaced were two boxed heap numbers per node);
 * - the level-0 link as a field, and an array only for the levels above (a quarter of the nodes have any);
 * - the entry's fields on the node: an overwrite replaces them in place. A caller holding an Entry from `get`
 *   or a cursor sees the newer version after a later write to the same key — the engine copies what it keeps
 *   and never holds one across a write (scans and flushes run synchronously or on immutable memtables).
 */
interface Node {
  kind: EntryKind;
  seq: number;
  time: number;
  readonly key: Uint8Array;
  value: Uint8Array;
  readonly q0: number;
  readonly q1: number;
  readonly q2: number;
  readonly q3: number;
  /** Level-0 successor. */
  next0: Node | null;
  /** Successors on levels 1 … height − 1 (at index level − 1), or null for a node of height 1. */
  readonly upper: (Node | null)[] | null;
  /** The next node whose key has the same hash (a collision chain of the exact-match index). */
  sameHash: Node | null;
}

/** Bytes [from, from + 3) of `key` as a big-endian integer, zero-padded (always a small integer). */
function prefix3(key: Uint8Array, from: number): number {
  const n = key.length;
  return ((from < n ? key[from]! : 0) << 16) | ((from + 1 < n ? key[from + 1]! : 0) << 8) | (from + 2 < n ? key[from + 2]! : 0);
}

function nextAt(node: Node, level: number): Node | null {
  return level === 0 ? node.next0 : node.upper![level - 1]!;
}

function setNext(node: Node, level: number, next: Node | null): void {
  if (level === 0) node.next0 = next;
  else node.upper![level - 1] = next;
}

/** FNV-1a of the key, folded to 30 bits so Map keys stay small integers. */
function keyHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

/**
 * memcmp(node.key, key) given `key`'s prefix integers. Zero-padded prefixes that differ order the keys the
 * same way memcmp does (a shorter key that runs out first is a prefix of the other, hence smaller); only when
 * all four are equal do the bytes need comparing. Walking the skip list then mostly compares integers held on
 * the node, instead of loading each visited key's bytes.
 */
function compareNode(node: Node, key: Uint8Array, q0: number, q1: number, q2: number, q3: number): number {
  if (node.q0 !== q0) return node.q0 < q0 ? -1 : 1;
  if (node.q1 !== q1) return node.q1 < q1 ? -1 : 1;
  if (node.q2 !== q2) return node.q2 < q2 ? -1 : 1;
  if (node.q3 !== q3) return node.q3 < q3 ? -1 : 1;
  return compareBytes(node.key, key);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Memtable {
  private readonly head: Node;
  private height = 1;
  private rng = 0x2545f491;
  private readonly update: Node[] = new Array<Node>(MAX_HEIGHT);
  /** Exact-match index: key hash → first node of its collision chain. */
  private readonly index = new Map<number, Node>();
  count = 0;
  approximateBytes = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  constructor(
    /** Number of the first WAL file holding this memtable's writes; older logs are not needed once it flushes. */
    readonly firstWalNumber: number,
  ) {
    this.head = newNode({ kind: 0 as EntryKind, seq: 0, time: 0, key: new Uint8Array(0), value: new Uint8Array(0) }, MAX_HEIGHT, null);
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

  /** Inserts or overwrites. Sequence numbers must arrive in increasing order (the engine assigns them). */
  apply(entry: Entry): void {
    this.approximateBytes += encodedSize(entry) + 32;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
    const hash = keyHash(entry.key);
    const chain = this.index.get(hash);
    for (let found: Node | null | undefined = chain; found !== undefined && found !== null; found = found.sameHash) {
      if (sameKey(found.key, entry.key)) {
        found.kind = entry.kind;
        found.seq = entry.seq;
        found.time = entry.time;
        found.value = entry.value;
        return;
      }
    }
    const key = entry.key;
    const q0 = prefix3(key, 0);
    const q1 = prefix3(key, 3);
    const q2 = prefix3(key, 6);
    const q3 = prefix3(key, 9);
    this.descend(key, q0, q1, q2, q3, this.update);
    const height = this.randomHeight();
    if (height > this.height) {
      for (let level = this.height; level < height; level++) this.update[level] = this.head;
      this.height = height;
    }
    const fresh = newNode(entry, height, chain ?? null, q0, q1, q2, q3);
    for (let level = 0; level < height; level++) {
      const prev = this.update[level]!;
      setNext(fresh, level, nextAt(prev, level));
      setNext(prev, level, fresh);
    }
    this.index.set(hash, fresh);
    this.count++;
  }

  /** The newest entry for `key` (possibly a tombstone), or undefined. */
  get(key: Uint8Array): Entry | undefined {
    if (this.count === 0) return undefined; // an empty memtable (the usual active one after a flush) needs no hash
    for (let node: Node | null | undefined = this.index.get(keyHash(key)); node !== undefined && node !== null; node = node.sameHash) {
      if (sameKey(node.key, key)) return node;
    }
    return undefined;
  }

  /** First node with key ≥ `key` (or the first node when `key` is undefined). */
  private seekNode(key: Uint8Array | undefined): Node | null {
    if (key === undefined) return this.head.next0;
    return this.descend(key, prefix3(key, 0), prefix3(key, 3), prefix3(key, 6), prefix3(key, 9), null).next0;
  }

  /**
   * The last node with key < `key`, walking down from the top level; with `update`, also records the last node
   * visited on each level (where an insert links in).
   */
  private descend(key: Uint8Array, q0: number, q1: number, q2: number, q3: number, update: Node[] | null): Node {
    let node = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = nextAt(node, level);
      while (next !== null && compareNode(next, key, q0, q1, q2, q3) < 0) {
        node = next;
        next = nextAt(node, level);
      }
      if (update !== null) update[level] = node;
    }
    return node;
  }

  cursor(): MemtableCursor {
    return new MemtableCursor((key) => this.seekNode(key));
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }
}

/** An ordered cursor over a memtable (see EntryCursor in merge.ts). */
export class MemtableCursor {
  private node: Node | null = null;

  constructor(private readonly seekNode: (key: Uint8Array | undefined) => Node | null) {}

  seek(key: Uint8Array | undefined): void {
    this.node = this.seekNode(key);
  }

  valid(): boolean {
    return this.node !== null;
  }

  entry(): Entry {
    return this.node!;
  }

  next(): void {
    this.node = this.node!.next0;
  }
}

/** A node holding `entry`'s fields, with room for links on `height` levels. */
function newNode(entry: Entry, height: number, sameHash: Node | null, q0 = 0, q1 = 0, q2 = 0, q3 = 0): Node {
  return {
    kind: entry.kind,
    seq: entry.seq,
    time: entry.time,
    key: entry.key,
    value: entry.value,
    q0,
    q1,
    q2,
    q3,
    next0: null,
    upper: height > 1 ? new Array<Node | null>(height - 1).fill(null) : null,
    sameHash,
  };
}
