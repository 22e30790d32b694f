import { compareBytes, prefixNumber } from './bytes';
import { encodedSize, type Entry } from './entry';

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
 * Level choice needs randomness; core/ may not use Math.random, and the skip list's shape must not depend on
 * anything outside the engine, so a fixed-seed xorshift drives it. The shape affects only speed, never results.
 */
const MAX_HEIGHT = 12;

interface Node {
  entry: Entry;
  /** entry.key, and its bytes [0, 6) and [6, 12) as big-endian numbers (zero-padded) — see `compareNode`. */
  readonly key: Uint8Array;
  readonly p0: number;
  readonly p1: number;
  readonly next: (Node | null)[];
  /** The next node whose key has the same hash (a collision chain of the exact-match index). */
  sameHash: Node | null;
}

/** FNV-1a of the key, folded to 30 bits so Map keys stay small integers. */
function keyHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

/**
 * memcmp(node.key, key) given `key`'s prefix numbers. Zero-padded prefixes that differ order the keys the
 * same way memcmp does (a shorter key that runs out first is a prefix of the other, hence smaller); only when
 * both are equal do the bytes need comparing. Walking the skip list then mostly compares two numbers held on
 * the node, instead of loading each visited key's bytes.
 */
function compareNode(node: Node, key: Uint8Array, p0: number, p1: number): number {
  if (node.p0 !== p0) return node.p0 < p0 ? -1 : 1;
  if (node.p1 !== p1) return node.p1 < p1 ? -1 : 1;
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
    this.head = { entry: undefined as unknown as Entry, key: new Uint8Array(0), p0: 0, p1: 0, next: new Array<Node | null>(MAX_HEIGHT).fill(null), sameHash: null };
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
      if (sameKey(found.entry.key, entry.key)) {
        found.entry = entry;
        return;
      }
    }
    const key = entry.key;
    const p0 = prefixNumber(key, 0);
    const p1 = prefixNumber(key, 6);
    this.descend(key, p0, p1, this.update);
    const height = this.randomHeight();
    if (height > this.height) {
      for (let level = this.height; level < height; level++) this.update[level] = this.head;
      this.height = height;
    }
    const fresh: Node = { entry, key, p0, p1, next: new Array<Node | null>(height), sameHash: chain ?? null };
    for (let level = 0; level < height; level++) {
      const prev = this.update[level]!;
      fresh.next[level] = prev.next[level]!;
      prev.next[level] = fresh;
    }
    this.index.set(hash, fresh);
    this.count++;
  }

  /** The newest entry for `key` (possibly a tombstone), or undefined. */
  get(key: Uint8Array): Entry | undefined {
    for (let node: Node | null | undefined = this.index.get(keyHash(key)); node !== undefined && node !== null; node = node.sameHash) {
      if (sameKey(node.entry.key, key)) return node.entry;
    }
    return undefined;
  }

  /** First node with key ≥ `key` (or the first node when `key` is undefined). */
  private seekNode(key: Uint8Array | undefined): Node | null {
    if (key === undefined) return this.head.next[0]!;
    return this.descend(key, prefixNumber(key, 0), prefixNumber(key, 6), null).next[0]!;
  }

  /**
   * The last node with key < `key`, walking down from the top level; with `update`, also records the last node
   * visited on each level (where an insert links in).
   */
  private descend(key: Uint8Array, p0: number, p1: number, update: Node[] | null): Node {
    let node = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = node.next[level]!;
      while (next !== null && compareNode(next, key, p0, p1) < 0) {
        node = next;
        next = node.next[level]!;
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
    return this.node!.entry;
  }

  next(): void {
    this.node = this.node!.next[0]!;
  }
}
