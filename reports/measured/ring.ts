/**
 * Ring balance measured on the real ring code (core/ring): how unevenly M nodes share the hash space as the
 * vnode count grows, and Dynamo's three partitioning strategies built over the same members.
 *
 * The spread is the coefficient of variation of each node's share (stddev as % of mean), for its primary
 * ranges and for the ranges it holds as one of N replicas; the latter is what sizes a node's disk. Tokens are
 * derived from node ids, so the figures are deterministic for a given node count.
 */
import { buildRing, MAX_PARTITIONS, ownershipStats, type PartitionStrategy } from '../../core/ring';
import { expectedOwnershipStddevPercent } from '../capacity-model';

export const VNODE_STEPS: readonly number[] = [1, 8, 32, 64, 128, 256];

export interface RingPoint {
  vnodes: number;
  /** Model: 100 ÷ √vnodes. */
  expectedPercent: number;
  primaryStddevPercent: number;
  replicaStddevPercent: number;
  /** Largest primary share ÷ fair share: how much more than average the busiest node holds. */
  maxPrimaryLoad: number;
  minPrimaryLoad: number;
  /** Largest replica share ÷ fair share: the fullest disk relative to the average one. */
  maxReplicaLoad: number;
}

export interface StrategyPoint {
  kind: PartitionStrategy['kind'];
  label: string;
  description: string;
  primaryStddevPercent: number;
  replicaStddevPercent: number;
  maxPrimaryLoad: number;
  maxReplicaLoad: number;
}

export interface RingMeasurement {
  nodes: number;
  replicas: number;
  byVnodes: RingPoint[];
  strategies: StrategyPoint[];
}

/** "256" when Q divides evenly among the nodes, "255–256" when it does not. */
const perNode = (partitions: number, nodes: number): string =>
  partitions % nodes === 0 ? String(partitions / nodes) : `${Math.floor(partitions / nodes)}–${Math.ceil(partitions / nodes)}`;

const memberIds = (nodes: number): { id: string }[] => Array.from({ length: nodes }, (_, i) => ({ id: `n${i}` }));

function measure(members: { id: string }[], strategy: PartitionStrategy, replicas: number) {
  const stats = ownershipStats(buildRing(members, strategy), replicas);
  return {
    primaryStddevPercent: stats.primary.stddevPercentOfMean,
    replicaStddevPercent: stats.replica.stddevPercentOfMean,
    maxPrimaryLoad: stats.primaryLoad.max,
    minPrimaryLoad: stats.primaryLoad.min,
    maxReplicaLoad: stats.replicaLoad.max,
  };
}

/** Vnode counts to measure: the standard steps plus the chosen count, ascending. */
export function vnodeSteps(chosen: number): number[] {
  return [...new Set([...VNODE_STEPS, chosen])].sort((a, b) => a - b);
}

export function measureRing(nodes: number, vnodes: number, replicas: number, onStep: (label: string) => void = () => {}): RingMeasurement {
  const members = memberIds(nodes);
  const byVnodes: RingPoint[] = [];
  for (const v of vnodeSteps(vnodes)) {
    onStep(`ring: ${nodes} nodes × ${v} vnodes`);
    byVnodes.push({ vnodes: v, expectedPercent: expectedOwnershipStddevPercent(v), ...measure(members, { kind: 'random-tokens', vnodes: v }, replicas) });
  }
  // Strategies 2 and 3 cut the ring into Q equal partitions; Q = M × vnodes gives them as many pieces as
  // strategy 1 has arcs, so the comparison is like for like (capped at what the ring code supports).
  const partitions = Math.min(MAX_PARTITIONS, nodes * vnodes);
  const strategies: StrategyPoint[] = [];
  const candidates: { strategy: PartitionStrategy; label: string; description: string }[] = [
    { strategy: { kind: 'random-tokens', vnodes }, label: '1: random tokens', description: `${vnodes} random tokens per node; ranges are the arcs between tokens` },
    { strategy: { kind: 'random-tokens-equal-partitions', vnodes, partitions }, label: '2: random tokens, equal partitions', description: `${vnodes} random tokens per node place Q = ${partitions} equal partitions` },
    { strategy: { kind: 'equal-partitions', partitions }, label: '3: Q/S equal partitions', description: `Q = ${partitions} equal partitions dealt out, ${perNode(partitions, nodes)} per node` },
  ];
  for (const c of candidates) {
    onStep(`ring: strategy ${c.label}`);
    const m = measure(members, c.strategy, replicas);
    strategies.push({ kind: c.strategy.kind, label: c.label, description: c.description, primaryStddevPercent: m.primaryStddevPercent, replicaStddevPercent: m.replicaStddevPercent, maxPrimaryLoad: m.maxPrimaryLoad, maxReplicaLoad: m.maxReplicaLoad });
  }
  return { nodes, replicas, byVnodes, strategies };
}
