/**
 * Load-balance statistics: how much of the hash space each node owns, as primary (first in the preference
 * list) and as one of N replicas. Shares are fractions of the ring; primary shares sum to 1, replica shares to
 * min(N, nodes). Because capacity weights make unequal shares the goal, each node's *load* (share ÷ the share
 * its weight entitles it to) is summarised too; with equal weights the two summaries have the same relative
 * spread (stddev as % of mean).
 */
import type { NodeId } from '../env';
import type { Ring } from './ring';
import { forEachArc } from './changes';
import { RING_SIZE, rangeSize } from './range';

export interface Summary {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  /** Population standard deviation. */
  readonly stddev: number;
  /** stddev ÷ mean × 100 (the coefficient of variation, in percent). */
  readonly stddevPercentOfMean: number;
}

export interface NodeOwnership {
  readonly id: NodeId;
  readonly weight: number;
  readonly tokenCount: number;
  /** Fraction of the ring this node's weight entitles it to (weight ÷ total weight). */
  readonly expectedShare: number;
  /** Fraction of the ring for which it is first in the preference list. */
  readonly primaryShare: number;
  /** Fraction of the ring for which it is one of the n replicas. */
  readonly replicaShare: number;
}

export interface OwnershipStats {
  readonly n: number;
  readonly nodes: readonly NodeOwnership[];
  readonly primary: Summary;
  readonly replica: Summary;
  /** primaryShare ÷ expectedShare per node (1.0 = exactly its fair share). */
  readonly primaryLoad: Summary;
  /** replicaShare ÷ (n × expectedShare) per node. */
  readonly replicaLoad: Summary;
}

/** Summary statistics of a list of numbers (all zeros for an empty list). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: 0, mean: 0, max: 0, stddev: 0, stddevPercentOfMean: 0 };
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of values) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  const stddev = Math.sqrt(sq / values.length);
  return { min, mean, max, stddev, stddevPercentOfMean: mean === 0 ? 0 : (stddev / mean) * 100 };
}

/** Ownership of every node of the ring with replication factor n (default 3). O(arcs × walk). */
export function ownershipStats(ring: Ring, n = 3): OwnershipStats {
  const count = ring.nodes.length;
  const primary = new Float64Array(count);
  const replica = new Float64Array(count);
  forEachArc(ring, n, (range, preference) => {
    const size = rangeSize(range);
    if (preference.length === 0) return;
    primary[preference[0]!]! += size;
    for (const i of preference) replica[i]! += size;
  });
  const totalWeight = ring.nodes.reduce((a, node) => a + node.weight, 0);
  const replicas = Math.min(n, count);
  const nodes: NodeOwnership[] = ring.nodes.map((node, i) => ({
    id: node.id,
    weight: node.weight,
    tokenCount: node.tokenCount,
    expectedShare: node.weight / totalWeight,
    primaryShare: primary[i]! / RING_SIZE,
    replicaShare: replica[i]! / RING_SIZE,
  }));
  return {
    n,
    nodes,
    primary: summarize(nodes.map((x) => x.primaryShare)),
    replica: summarize(nodes.map((x) => x.replicaShare)),
    primaryLoad: summarize(nodes.map((x) => x.primaryShare / x.expectedShare)),
    replicaLoad: summarize(nodes.map((x) => x.replicaShare / (replicas * x.expectedShare))),
  };
}
