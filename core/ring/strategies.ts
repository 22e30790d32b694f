/**
 * Building a ring from (members, strategy) — Dynamo §6.2's three partitioning strategies as pure functions,
 * so a report can build all three over the same membership and compare them.
 *
 * 1. `random-tokens`: each node gets T = vnodes × weight pseudo-random tokens (tokens.ts); a key belongs to the
 *    first token clockwise. Placement and partitioning are coupled: a join splits existing arcs.
 * 2. `random-tokens-equal-partitions`: the same tokens, but the ring is cut into Q equal partitions and a whole
 *    partition is placed by walking clockwise from its end. Partition boundaries never move, so a partition is
 *    the unit of transfer and of Merkle-tree scope (the paper's motivation).
 * 3. `equal-partitions`: Q equal partitions dealt out so each node holds Q/S of them (∝ weight, largest
 *    remainder). Built from scratch it deals a hash-shuffled partition order; joins and leaves (changes.ts)
 *    move the minimum number of partitions. Unlike 1 and 2, the assignment depends on history, so under this
 *    strategy the assignment itself (ring.owners) is the state to gossip, not just the member list.
 */
import type { NodeId } from '../env';
import { type Member, type PartitionStrategy, type Ring, type RingNode, MAX_NODES, MAX_PARTITIONS,
  DEFAULT_STRATEGY, assertRingInvariants, partitionEnd } from './ring';
import { deriveTokens, indexHash, vnodeCount } from './tokens';

const OWNER_SHIFT = 2 ** 21; // = MAX_NODES; token·2^21 + owner < 2^53 stays exact in a float64

/** Validates and canonically orders members: unique non-empty ids, finite positive weights, sorted by id. */
export function canonicalMembers(members: readonly Member[]): { id: NodeId; weight: number }[] {
  const out = members.map((m) => {
    const weight = m.weight ?? 1;
    if (typeof m.id !== 'string' || m.id.length === 0) throw new RangeError('ring member needs a non-empty id');
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new RangeError(`ring member ${m.id}: weight must be a finite number > 0, got ${weight}`);
    }
    return { id: m.id, weight };
  });
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]!.id === out[i]!.id) throw new RangeError(`ring member ${out[i]!.id} listed twice`);
  }
  if (out.length > MAX_NODES) throw new RangeError(`ring supports at most ${MAX_NODES} nodes`);
  return out;
}

function checkStrategy(strategy: PartitionStrategy): void {
  if (strategy.kind !== 'equal-partitions') {
    if (!Number.isInteger(strategy.vnodes) || strategy.vnodes < 1) {
      throw new RangeError(`ring strategy ${strategy.kind}: vnodes must be a positive integer`);
    }
  }
  if (strategy.kind !== 'random-tokens') {
    const q = strategy.partitions;
    if (!Number.isInteger(q) || q < 1 || q > MAX_PARTITIONS) {
      throw new RangeError(`ring strategy ${strategy.kind}: partitions must be an integer in 1…${MAX_PARTITIONS}`);
    }
  }
}

/** Builds the ring for `members` under `strategy` (default: 256 random tokens per unit weight). Pure. */
export function buildRing(members: readonly Member[], strategy: PartitionStrategy = DEFAULT_STRATEGY): Ring {
  checkStrategy(strategy);
  const canon = canonicalMembers(members);
  const ring = strategy.kind === 'equal-partitions'
    ? buildEqualPartitions(canon, strategy)
    : buildRandomTokens(canon, strategy);
  assertRingInvariants(ring);
  return ring;
}

function buildRandomTokens(
  canon: { id: NodeId; weight: number }[],
  strategy: Extract<PartitionStrategy, { vnodes: number }>,
): Ring {
  const counts = canon.map((m) => vnodeCount(strategy.vnodes, m.weight));
  const total = counts.reduce((a, b) => a + b, 0);
  // Sort (token, owner) pairs as single float64 keys: one typed-array sort, no comparator, total order.
  const packed = new Float64Array(total);
  const scratch = new Uint32Array(counts.reduce((a, b) => Math.max(a, b), 0));
  let k = 0;
  for (let n = 0; n < canon.length; n++) {
    const count = counts[n]!;
    deriveTokens(canon[n]!.id, count, scratch);
    for (let v = 0; v < count; v++) packed[k++] = scratch[v]! * OWNER_SHIFT + n;
  }
  packed.sort();
  const tokens = new Uint32Array(total);
  const owners = new Uint32Array(total);
  for (let i = 0; i < total; i++) {
    const key = packed[i]!;
    const token = Math.floor(key / OWNER_SHIFT);
    tokens[i] = token;
    owners[i] = key - token * OWNER_SHIFT;
  }
  const nodes: RingNode[] = canon.map((m, n) => ({ id: m.id, weight: m.weight, tokenCount: counts[n]! }));
  const snapPartitions = strategy.kind === 'random-tokens-equal-partitions' ? strategy.partitions : 0;
  return { strategy, nodes, tokens, owners, snapPartitions };
}

/**
 * Splits `total` items among weights by the largest-remainder method: each gets ⌊total·w/W⌋, and the leftover
 * goes one each to the largest fractional parts (ties: lower index). Sums exactly to `total`.
 */
export function largestRemainder(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const quotas = exact.map((x) => Math.floor(x));
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ frac: x - Math.floor(x), i }));
  order.sort((a, b) => (b.frac - a.frac) || (a.i - b.i));
  for (let j = 0; left > 0 && j < order.length; j++, left--) quotas[order[j]!.i]!++;
  return quotas;
}

/** Strategy 3 tokens: the Q partition ends, in order. */
export function equalPartitionTokens(partitions: number): Uint32Array {
  const tokens = new Uint32Array(partitions);
  for (let p = 0; p < partitions; p++) tokens[p] = partitionEnd(p, partitions);
  return tokens;
}

function buildEqualPartitions(
  canon: { id: NodeId; weight: number }[],
  strategy: Extract<PartitionStrategy, { kind: 'equal-partitions' }>,
): Ring {
  const q = strategy.partitions;
  if (canon.length === 0) {
    return { strategy, nodes: [], tokens: new Uint32Array(0), owners: new Uint32Array(0), snapPartitions: 0 };
  }
  const tokens = equalPartitionTokens(q);
  const owners = new Uint32Array(q);
  const quotas = largestRemainder(q, canon.map((m) => m.weight));
  {
    // Deal partitions in a fixed pseudo-random order so each node's partitions are scattered round the ring
    // (contiguous blocks would put a node's replicas on the same few neighbours).
    const label = new Uint8Array([0x51]); // 'Q'
    const packed = new Float64Array(q);
    for (let p = 0; p < q; p++) packed[p] = indexHash(label, p) * OWNER_SHIFT + p;
    packed.sort();
    let n = 0;
    let given = 0;
    for (let j = 0; j < q; j++) {
      while (given >= quotas[n]!) { n++; given = 0; }
      const key = packed[j]!;
      owners[key % OWNER_SHIFT] = n;
      given++;
    }
  }
  const nodes: RingNode[] = canon.map((m, n) => ({ id: m.id, weight: m.weight, tokenCount: quotas[n]! }));
  return { strategy, nodes, tokens, owners, snapPartitions: 0 };
}
