/**
 * The ring value and its lookups.
 *
 * A ring is immutable: sorted token positions (a Uint32Array) and, per token, the index of the physical node
 * that owns it. Every partitioning strategy (see strategies.ts) produces this same shape, so lookups, the
 * clockwise walk, ownership statistics and range-transfer computation are written once.
 *
 * Lookup: a key at position h belongs to the first token ≥ h (wrapping to token 0); its preference list is the
 * first N *distinct physical* nodes met walking clockwise from there. Binary search makes the first step
 * O(log T); the walk is usually a handful of steps more. Dynamo's strategy 2 differs only in that a key's
 * position is first snapped to the end of its equal-sized partition (`snapPartitions`), so every key in a
 * partition shares one preference list.
 */
import type { NodeId } from '../env';
import { RING_SIZE } from './range';

/** Dynamo §6.2's three partitioning strategies. */
export type PartitionStrategy =
  /** Strategy 1: T random tokens per node; partitions are the arcs between consecutive tokens. */
  | { readonly kind: 'random-tokens'; readonly vnodes: number }
  /** Strategy 2: T random tokens per node, but Q equal-sized partitions; the tokens only decide placement. */
  | { readonly kind: 'random-tokens-equal-partitions'; readonly vnodes: number; readonly partitions: number }
  /** Strategy 3: Q equal-sized partitions, each node holding ≈ Q/S of them (∝ weight). */
  | { readonly kind: 'equal-partitions'; readonly partitions: number };

/** Default vnodes per unit of weight (the seeds' figure). */
export const DEFAULT_VNODES = 256;

export const DEFAULT_STRATEGY: PartitionStrategy = { kind: 'random-tokens', vnodes: DEFAULT_VNODES };

/** A cluster member as the ring sees it. `weight` (default 1) scales its share: vnodes ∝ weight. */
export interface Member {
  readonly id: NodeId;
  readonly weight?: number;
}

export interface RingNode {
  readonly id: NodeId;
  readonly weight: number;
  /** How many tokens (vnodes or partitions) this node holds. */
  readonly tokenCount: number;
}

export interface Ring {
  readonly strategy: PartitionStrategy;
  /** Physical nodes, sorted by id (code-unit order) — the canonical order every node agrees on. */
  readonly nodes: readonly RingNode[];
  /** Token positions, ascending (ties allowed). */
  readonly tokens: Uint32Array;
  /** owners[i] is the index in `nodes` of the node owning tokens[i]. */
  readonly owners: Uint32Array;
  /** Q when key positions are snapped to equal partition ends before lookup (strategy 2); 0 otherwise. */
  readonly snapPartitions: number;
}

/** Node indices are packed beside 32-bit tokens in float64 sort keys (see tokens.ts): at most 2^21 nodes. */
export const MAX_NODES = 1 << 21;

/** Largest allowed Q: keeps h·Q exact in float64 and partitions at least 2^12 positions wide. */
export const MAX_PARTITIONS = 1 << 20;

/** The partition (0 … Q-1) containing position h when the ring is cut into Q equal partitions. */
export function partitionOf(position: number, partitions: number): number {
  return Math.floor((position * partitions) / RING_SIZE);
}

/** The last (largest) position in partition p of Q: partition p is [⌈p·2^32/Q⌉, ⌈(p+1)·2^32/Q⌉ − 1]. */
export function partitionEnd(p: number, partitions: number): number {
  return Math.ceil(((p + 1) * RING_SIZE) / partitions) - 1;
}

/** The position used for lookup: the key's own position, or its partition's end under strategy 2. */
export function lookupPosition(ring: Ring, position: number): number {
  const q = ring.snapPartitions;
  return q > 0 ? partitionEnd(partitionOf(position, q), q) : position;
}

/** Index of the first token ≥ position (wrapping to 0). The ring must have at least one token. */
export function successorIndex(ring: Ring, position: number): number {
  const tokens = ring.tokens;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]! < position) lo = mid + 1;
    else hi = mid;
  }
  return lo === tokens.length ? 0 : lo;
}

/**
 * Node indices of the first `n` distinct physical nodes clockwise from `position` (already snapped, if the
 * strategy snaps). Fewer than n when the ring has fewer nodes holding tokens.
 */
export function preferenceIndicesAt(ring: Ring, position: number, n: number): number[] {
  const out: number[] = [];
  const total = ring.tokens.length;
  if (total === 0 || n <= 0) return out;
  const want = Math.min(n, ring.nodes.length);
  let i = successorIndex(ring, position);
  for (let steps = 0; steps < total && out.length < want; steps++) {
    const owner = ring.owners[i]!;
    if (!out.includes(owner)) out.push(owner);
    i = i + 1 === total ? 0 : i + 1;
  }
  return out;
}

/** The preference list for a ring position: first n distinct physical nodes clockwise. */
export function preferenceListAt(ring: Ring, position: number, n: number): NodeId[] {
  return preferenceIndicesAt(ring, lookupPosition(ring, position), n).map((i) => ring.nodes[i]!.id);
}

/**
 * Every distinct physical node in clockwise order from `position` — the preference list first, then the
 * "next healthy node clockwise" candidates a coordinator tries for sloppy quorum. Lazy: stop iterating as soon
 * as you have enough. Each node appears exactly once; nodes without tokens never appear.
 */
export function* walkDistinctAt(ring: Ring, position: number): Generator<NodeId, void, undefined> {
  const total = ring.tokens.length;
  if (total === 0) return;
  const seen = new Uint8Array(ring.nodes.length);
  let found = 0;
  let i = successorIndex(ring, lookupPosition(ring, position));
  for (let steps = 0; steps < total && found < ring.nodes.length; steps++) {
    const owner = ring.owners[i]!;
    if (seen[owner] === 0) {
      seen[owner] = 1;
      found++;
      yield ring.nodes[owner]!.id;
    }
    i = i + 1 === total ? 0 : i + 1;
  }
}

/** Index of node `id` in ring.nodes, or -1. Binary search over the sorted ids. */
export function nodeIndex(ring: Ring, id: NodeId): number {
  const nodes = ring.nodes;
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midId = nodes[mid]!.id;
    if (midId === id) return mid;
    if (midId < id) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** The members of a ring (ids and weights), in canonical order. */
export function ringMembers(ring: Ring): Member[] {
  return ring.nodes.map((n) => ({ id: n.id, weight: n.weight }));
}

/** Throws unless tokens are sorted, owners valid and counts consistent — cheap enough to run on every build. */
export function assertRingInvariants(ring: Ring): void {
  const { tokens, owners, nodes } = ring;
  if (tokens.length !== owners.length) throw new Error('ring invariant: tokens and owners differ in length');
  const counts = new Uint32Array(nodes.length);
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0 && tokens[i - 1]! > tokens[i]!) throw new Error(`ring invariant: tokens not sorted at index ${i}`);
    const o = owners[i]!;
    if (o >= nodes.length) throw new Error(`ring invariant: owner index ${o} out of range at token ${i}`);
    counts[o]!++;
  }
  for (let n = 0; n < nodes.length; n++) {
    if (n > 0 && !(nodes[n - 1]!.id < nodes[n]!.id)) throw new Error('ring invariant: nodes not sorted by id');
    if (counts[n] !== nodes[n]!.tokenCount) {
      throw new Error(`ring invariant: node ${nodes[n]!.id} holds ${counts[n]} tokens, expected ${nodes[n]!.tokenCount}`);
    }
  }
}
