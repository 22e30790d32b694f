import { compareBytes } from './bytes';
import { encodedSize, type Entry } from './entry';

/**
 * The in-memory write buffer: a skip list ordered by key, holding only the newest version of each key (the
 * engine keeps no snapshots, so older versions in the same memtable can never be read). Writes overwrite in
 * place; `approximateBytes` grows with every write so a memtable of overwrites still fills up and flushes.
 *
 * A skip list rather than a sorted array because inserts are O(log n) without moving anything, and iteration
 * is a linked-list walk that stays valid while later writes insert (scans see a consistent-enough view: they
 * run synchronously, so nothing inserts during one anyway).
 *
 * Level choice needs randomness; core/ may not use Math.random, and the skip list's shape must not depend on
 * anything outside the engine, so a fixed-seed xorshift drives it. The shape affects only speed, never results.
 */
const MAX_HEIGHT = 12;

interface Node {
  entry: Entry;
  readonly next: (Node | null)[];
}

export class Memtable {
  private readonly head: Node;
  private height = 1;
  private rng = 0x2545f491;
  private readonly update: Node[] = new Array<Node>(MAX_HEIGHT);
  count = 0;
  approximateBytes = 0;
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;

  constructor(
    /** Number of the first WAL file holding this memtable's writes; older logs are not needed once it flushes. */
    readonly firstWalNumber: number,
  ) {
    this.head = { entry: undefined as unknown as Entry, next: new Array<Node | null>(MAX_HEIGHT).fill(null) };
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
    let node = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = node.next[level]!;
      while (next !== null && compareBytes(next.entry.key, entry.key) < 0) {
        node = next;
        next = node.next[level]!;
      }
      this.update[level] = node;
    }
    const found = node.next[0]!;
    this.approximateBytes += encodedSize(entry) + 32;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
    if (found !== null && compareBytes(found.entry.key, entry.key) === 0) {
      found.entry = entry;
      return;
    }
    const height = this.randomHeight();
    if (height > this.height) {
      for (let level = this.height; level < height; level++) this.update[level] = this.head;
      this.height = height;
    }
    const fresh: Node = { entry, next: new Array<Node | null>(height) };
    for (let level = 0; level < height; level++) {
      const prev = this.update[level]!;
      fresh.next[level] = prev.next[level]!;
      prev.next[level] = fresh;
    }
    this.count++;
  }

  /** The newest entry for `key` (possibly a tombstone), or undefined. */
  get(key: Uint8Array): Entry | undefined {
    const node = this.seekNode(key);
    return node !== null && compareBytes(node.entry.key, key) === 0 ? node.entry : undefined;
  }

  /** First node with key ≥ `key` (or the first node when `key` is undefined). */
  private seekNode(key: Uint8Array | undefined): Node | null {
    if (key === undefined) return this.head.next[0]!;
    let node = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = node.next[level]!;
      while (next !== null && compareBytes(next.entry.key, key) < 0) {
        node = next;
        next = node.next[level]!;
      }
    }
    return node.next[0]!;
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
