import { mean } from './checkers/stats';

/**
 * How evenly a run spread its work over the nodes: the figure the vnode-balance scenario is about. Dynamo (§6.2)
 * calls a node "out of balance" when its load is more than 15 % away from the cluster's mean, and reports the
 * share of such nodes; fewer tokens per node leave some nodes owning several times the key range of others.
 *
 * Two loads per node, counted over the nodes running at the end of the run:
 * - replica operations: the replica reads and writes it served (what its disk and queues saw);
 * - stored bytes: its storage engine's tables and memtable at the end (what its disk holds).
 *
 * A pure function of per-node samples, so the same summary serves any source of them.
 */
export interface NodeLoad {
  node: string;
  replicaOperations: number;
  storedBytes: number;
}

/** One load's spread over the nodes. */
export interface LoadSpread {
  min: number;
  mean: number;
  max: number;
  /** max ÷ mean: how much more the busiest node carries than an even share (1 = perfectly even). */
  maxOverMean: number;
  /** Standard deviation ÷ mean (population), the seeds' "spread" figure. */
  coefficientOfVariation: number;
  /** Nodes whose load is more than 15 % away from the mean (Dynamo's "out of balance"). */
  outOfBalance: number;
  /** The busiest node. */
  busiest: string;
}

export interface LoadBalance {
  nodes: number;
  replicaOperations: LoadSpread;
  storedBytes: LoadSpread;
}

export const OUT_OF_BALANCE_FRACTION = 0.15;

export function loadBalance(loads: readonly NodeLoad[]): LoadBalance | null {
  if (loads.length === 0) return null;
  return {
    nodes: loads.length,
    replicaOperations: spread(loads, (load) => load.replicaOperations),
    storedBytes: spread(loads, (load) => load.storedBytes),
  };
}

function spread(loads: readonly NodeLoad[], of: (load: NodeLoad) => number): LoadSpread {
  const values = loads.map(of);
  for (const [i, value] of values.entries()) {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`load of node ${loads[i]!.node} must be a finite number ≥ 0, got ${value}`);
  }
  const average = mean(values);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let busiest = loads[0]!.node;
  let squares = 0;
  let outOfBalance = 0;
  for (const [i, value] of values.entries()) {
    if (value < min) min = value;
    if (value > max) {
      max = value;
      busiest = loads[i]!.node;
    }
    squares += (value - average) ** 2;
    if (average > 0 && Math.abs(value - average) > OUT_OF_BALANCE_FRACTION * average) outOfBalance++;
  }
  const stddev = Math.sqrt(squares / values.length);
  return {
    min,
    mean: round(average),
    max,
    maxOverMean: average > 0 ? round(max / average) : 0,
    coefficientOfVariation: average > 0 ? round(stddev / average) : 0,
    outOfBalance,
    busiest,
  };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
