/**
 * A Merkle tree over a set of keys, bucketed by the top bits of their ring position. Pure and synchronous.
 *
 * Two replicas that should hold the same keys each build one, then compare them top-down: equal roots mean
 * equal data (up to a 64-bit hash collision); otherwise only the children of differing nodes are compared, so
 * finding k differing keys among m costs about k · fanout · depth digests instead of m.
 *
 * ## Shape
 *
 *     level 0                       [root]                          1 node
 *     level 1        [0]      [1]    …    [fanout-1]                fanout nodes
 *       …
 *     level depth    leaf 0 … leaf fanout^depth − 1                 one per position prefix
 *
 * fanout = 2^fanoutBits. Leaf i holds the keys whose 32-bit ring position starts with the (fanoutBits·depth)-bit
 * prefix i, so a leaf is a contiguous block of the ring (`leafRange`) and node j at level l has children
 * j·fanout … j·fanout + fanout − 1 at level l + 1.
 *
 * ## Digests (64 bits, kept as two 32-bit lanes)
 *
 * - per key: MurmurHash3 (two seeds) of the key bytes followed by the key's version fingerprint (the etag of
 *   its sibling set). The key is part of it so that two keys swapping versions inside one leaf still differ.
 * - leaf: XOR of its keys' digests — order-independent, so building needs no sort, and a key that is absent
 *   contributes nothing (an empty leaf is 0, on both sides).
 * - inner node: MurmurHash3 (two seeds) of its children's digests in order.
 *
 * Not cryptographic: a replica is trusted; the hash only has to make accidental agreement unlikely (2^-64).
 */
import { murmur3_32 } from '../ring/hash';
import type { RingRange } from '../ring/range';

export interface MerkleShape {
  /** Each inner node has 2^fanoutBits children. */
  readonly fanoutBits: number;
  /** Levels below the root; leaves are at level `depth`. */
  readonly depth: number;
}

/** 16-way, 3 levels: 4096 leaves, ≈ 35 KB of digests per tree. */
export const DEFAULT_SHAPE: MerkleShape = { fanoutBits: 4, depth: 3 };

/** At most 2^16 leaves: a tree is built whole, in memory, for every exchange. */
export const MAX_LEAF_BITS = 16;

export interface MerkleTree {
  readonly shape: MerkleShape;
  /** levels[l] holds 2 · fanout^l lanes: node j's digest is (levels[l][2j], levels[l][2j + 1]). */
  readonly levels: readonly Uint32Array[];
  /** Keys added, for the record (not part of any digest). */
  readonly keys: number;
}

const KEY_SEED_A = 0x3c6ef372;
const KEY_SEED_B = 0xa54ff53a;
const NODE_SEED_A = 0x510e527f;
const NODE_SEED_B = 0x9b05688c;

export function assertShape(shape: MerkleShape): void {
  const { fanoutBits, depth } = shape;
  if (!(Number.isInteger(fanoutBits) && fanoutBits >= 1 && Number.isInteger(depth) && depth >= 1 && fanoutBits * depth <= MAX_LEAF_BITS)) {
    throw new RangeError(`merkle shape fanoutBits=${fanoutBits} depth=${depth}: need whole numbers ≥ 1 with fanoutBits·depth ≤ ${MAX_LEAF_BITS}`);
  }
}

export function leafCount(shape: MerkleShape): number {
  return 2 ** (shape.fanoutBits * shape.depth);
}

/** Nodes at `level` (fanout^level). */
export function levelSize(shape: MerkleShape, level: number): number {
  return 2 ** (shape.fanoutBits * level);
}

/** The leaf a ring position falls into: its top fanoutBits·depth bits. */
export function leafOf(shape: MerkleShape, position: number): number {
  return position >>> (32 - shape.fanoutBits * shape.depth);
}

/** The block of ring positions leaf `leaf` covers, as a half-open arc (start, end]. */
export function leafRange(shape: MerkleShape, leaf: number): RingRange {
  const width = 2 ** (32 - shape.fanoutBits * shape.depth);
  const first = leaf * width;
  // (first − 1, first + width − 1]; for leaf 0 the exclusive start wraps to 2^32 − 1.
  return { start: first === 0 ? 0xffffffff : first - 1, end: first + width - 1 };
}

/** The children of node `index` at level `level` (they are at level + 1). */
export function childrenOf(shape: MerkleShape, index: number): number[] {
  const fanout = 2 ** shape.fanoutBits;
  const out: number[] = new Array<number>(fanout);
  for (let c = 0; c < fanout; c++) out[c] = index * fanout + c;
  return out;
}

/** A key's 64-bit digest from its bytes and its version fingerprint (etag). */
export function keyDigest(key: Uint8Array, version: string): [number, number] {
  const bytes = new Uint8Array(key.length + version.length);
  bytes.set(key, 0);
  for (let i = 0; i < version.length; i++) bytes[key.length + i] = version.charCodeAt(i) & 0xff;
  return [murmur3_32(bytes, KEY_SEED_A), murmur3_32(bytes, KEY_SEED_B)];
}

/** Accumulates keys into leaves, then hashes the levels above once (`finish`). */
export class MerkleBuilder {
  private readonly leaves: Uint32Array;
  private count = 0;
  private finished = false;

  constructor(readonly shape: MerkleShape = DEFAULT_SHAPE) {
    assertShape(shape);
    this.leaves = new Uint32Array(2 * leafCount(shape));
  }

  /** Adds one key (at most once per key) by ring position and digest. */
  add(position: number, digest: readonly [number, number]): void {
    if (this.finished) throw new Error('merkle builder already finished');
    const leaf = leafOf(this.shape, position);
    this.leaves[2 * leaf] = (this.leaves[2 * leaf]! ^ digest[0]) >>> 0;
    this.leaves[2 * leaf + 1] = (this.leaves[2 * leaf + 1]! ^ digest[1]) >>> 0;
    this.count++;
  }

  finish(): MerkleTree {
    this.finished = true;
    const { fanoutBits, depth } = this.shape;
    const fanout = 2 ** fanoutBits;
    const levels: Uint32Array[] = new Array<Uint32Array>(depth + 1);
    levels[depth] = this.leaves;
    const scratch = new Uint8Array(8 * fanout);
    const view = new DataView(scratch.buffer);
    for (let level = depth - 1; level >= 0; level--) {
      const below = levels[level + 1]!;
      const size = levelSize(this.shape, level);
      const lanes = new Uint32Array(2 * size);
      for (let j = 0; j < size; j++) {
        for (let c = 0; c < 2 * fanout; c++) view.setUint32(4 * c, below[2 * j * fanout + c]!, true);
        lanes[2 * j] = murmur3_32(scratch, NODE_SEED_A);
        lanes[2 * j + 1] = murmur3_32(scratch, NODE_SEED_B);
      }
      levels[level] = lanes;
    }
    return { shape: this.shape, levels, keys: this.count };
  }
}

/** A tree from (position, digest) pairs — for tests and tools; the exchange streams into a MerkleBuilder. */
export function buildTree(entries: Iterable<{ position: number; digest: readonly [number, number] }>, shape: MerkleShape = DEFAULT_SHAPE): MerkleTree {
  const builder = new MerkleBuilder(shape);
  for (const entry of entries) builder.add(entry.position, entry.digest);
  return builder.finish();
}

/** Digests of the given nodes at one level, as lanes (2 per node) — what one side sends the other. */
export function digestsAt(tree: MerkleTree, level: number, indices: readonly number[]): Uint32Array {
  const lanes = tree.levels[level];
  if (lanes === undefined) throw new RangeError(`merkle level ${level} is outside 0..${tree.shape.depth}`);
  const out = new Uint32Array(2 * indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!(j >= 0 && 2 * j < lanes.length)) throw new RangeError(`merkle node ${j} is outside level ${level}`);
    out[2 * i] = lanes[2 * j]!;
    out[2 * i + 1] = lanes[2 * j + 1]!;
  }
  return out;
}

/**
 * Of the given nodes at `level`, those whose digest in `tree` differs from `theirs` (lanes as from
 * `digestsAt`). Indices outside the level count as differing: the caller's tree is then malformed, and
 * reporting it keeps the exchange from silently skipping data.
 */
export function differingAt(tree: MerkleTree, level: number, indices: readonly number[], theirs: Uint32Array): number[] {
  const lanes = tree.levels[level];
  if (lanes === undefined) throw new RangeError(`merkle level ${level} is outside 0..${tree.shape.depth}`);
  if (theirs.length !== 2 * indices.length) throw new RangeError(`${indices.length} nodes need ${2 * indices.length} digest lanes, got ${theirs.length}`);
  const out: number[] = [];
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (lanes[2 * j] !== theirs[2 * i] || lanes[2 * j + 1] !== theirs[2 * i + 1]) out.push(j);
  }
  return out;
}

/**
 * The leaves where two trees of the same shape differ, ascending, found the way two replicas find them: compare
 * the root, then only the children of nodes that differ, level by level. `compared` (optional) receives the
 * number of digests looked at per level — the cost of the exchange.
 */
export function diff(a: MerkleTree, b: MerkleTree, compared?: number[]): number[] {
  if (a.shape.fanoutBits !== b.shape.fanoutBits || a.shape.depth !== b.shape.depth) throw new RangeError('merkle diff: trees have different shapes');
  let frontier = [0];
  for (let level = 0; level <= a.shape.depth; level++) {
    compared?.push(frontier.length);
    const differing = differingAt(a, level, frontier, digestsAt(b, level, frontier));
    if (level === a.shape.depth || differing.length === 0) return differing;
    frontier = differing.flatMap((j) => childrenOf(a.shape, j));
  }
  return [];
}
