import { HeartbeatGossip } from '../../core/membership/heartbeat-gossip';
import { EventTag } from '../simulator';
import { SimWorld } from '../world';
import type { LatencyDistribution } from '../latency';

/**
 * The kernel demo: N nodes run heartbeat gossip over the simulated network; a random 30 % of them are cut
 * off, later the partition heals. It exercises every part of the kernel — timers on skewed clocks, message
 * delivery with latency, partitions, the trace hash — and prints what a person can check by eye: each side
 * of the partition stops seeing the other within the failure timeout, and after the heal the views converge.
 */
export interface KernelDemoOptions {
  seed: number;
  nodes: number;
  durationMicros?: number;
  partitionAtMicros?: number;
  healAtMicros?: number;
  cutFraction?: number;
  latency?: LatencyDistribution;
  lossProbability?: number;
  /** Max |clock skew| per node, µs; each node draws uniformly within ±this. */
  clockSkewMicros?: number;
  /** Called every simulated second (progress display). */
  onProgress?: (simulatedMicros: number, durationMicros: number) => void;
}

export interface KernelDemoResult {
  seed: number;
  nodes: number;
  minority: string[];
  failAfterMicros: number;
  /** Average number of members each node saw as live, sampled just before partition, before heal, at end. */
  averageView: { beforePartition: number; duringPartitionMajority: number; duringPartitionMinority: number; end: number };
  /** Simulated µs from the heal until every node saw every node live again (null if never). */
  convergenceMicrosAfterHeal: number | null;
  /** Simulated µs from the partition until every majority node had dropped every minority node. */
  detectionMicrosAfterPartition: number | null;
  network: { sent: number; delivered: number; droppedPartition: number; droppedLoss: number };
  events: number;
  simulatedMicros: number;
  traceHash: string;
}

export function runKernelDemo(options: KernelDemoOptions): KernelDemoResult {
  const nodeCount = options.nodes;
  if (!Number.isInteger(nodeCount) || nodeCount < 2 || nodeCount > 5000) {
    throw new RangeError(`--nodes must be an integer between 2 and 5000, got ${nodeCount}`);
  }
  const duration = options.durationMicros ?? 70_000_000;
  const partitionAt = options.partitionAtMicros ?? 15_000_000;
  const healAt = options.healAtMicros ?? 40_000_000;
  // Gossip with one random peer per round spreads a heartbeat in about log2(n) rounds (with a tail), so the
  // failure timeout scales with log2(n): too short and healthy nodes flap, too long and a partition goes unseen.
  const roundMicros = 500_000;
  const failAfterMicros = roundMicros * (2 * Math.ceil(Math.log2(nodeCount)) + 6);
  if (!(partitionAt < healAt && healAt < duration)) throw new RangeError('need partitionAt < healAt < duration');
  const world = new SimWorld(options.seed, {
    latency: options.latency ?? { kind: 'lognormal', medianMs: 0.5, sigma: 0.5 },
    lossProbability: options.lossProbability ?? 0.01,
  });
  const ids = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
  const setupRandom = world.simulator.random.fork('setup');
  const skew = options.clockSkewMicros ?? 50_000;
  const nodes = ids.map((id) => {
    const machine = world.addMachine(id, { clockOffsetMicros: Math.round((setupRandom.next() * 2 - 1) * skew) });
    const env = machine.environment();
    return new HeartbeatGossip(env.clock, env.random, env.transport, { members: ids, roundMicros, failAfterMicros });
  });
  for (const node of nodes) node.start();

  const nemesisRandom = world.simulator.random.fork('nemesis');
  const shuffled = [...ids];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = nemesisRandom.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const minority = shuffled.slice(0, Math.max(1, Math.round(nodeCount * (options.cutFraction ?? 0.3))));
  const minoritySet = new Set(minority);

  const averageView = () => nodes.reduce((sum, node) => sum + node.liveMembers().length, 0) / nodeCount;
  const averageViewOf = (inMinority: boolean) => {
    const group = nodes.filter((_, i) => minoritySet.has(ids[i]!) === inMinority);
    return group.reduce((sum, node) => sum + node.liveMembers().length, 0) / group.length;
  };
  const result: KernelDemoResult['averageView'] = {
    beforePartition: 0, duringPartitionMajority: 0, duringPartitionMinority: 0, end: 0,
  };
  let detection: number | null = null;
  let convergence: number | null = null;

  const simulator = world.simulator;
  simulator.scheduleAt(partitionAt - 1, EventTag.Control, () => (result.beforePartition = averageView()));
  simulator.scheduleAt(partitionAt, EventTag.Fault, () => world.network.partition([minority]));
  simulator.scheduleAt(healAt - 1, EventTag.Control, () => {
    result.duringPartitionMajority = averageViewOf(false);
    result.duringPartitionMinority = averageViewOf(true);
  });
  simulator.scheduleAt(healAt, EventTag.Fault, () => world.network.heal());

  // Sample every 250 ms of simulated time for detection and convergence (each sample asks every node about
  // every member: O(n²), the dominant cost of the demo at 500 nodes).
  const sample = () => {
    const now = simulator.nowMicros;
    if (now > partitionAt && now < healAt && detection === null) {
      const majorityDroppedAll = nodes.every((node, i) => minoritySet.has(ids[i]!) || minority.every((m) => !node.isLive(m)));
      if (majorityDroppedAll) detection = now - partitionAt;
    }
    if (now >= healAt && convergence === null && nodes.every((node) => node.liveMembers().length === nodeCount)) {
      convergence = now - healAt;
    }
    if (now + 250_000 < duration) simulator.schedule(250_000, EventTag.Control, sample);
  };
  simulator.scheduleAt(250_000, EventTag.Control, sample);

  for (let second = 1_000_000; second <= duration; second += 1_000_000) {
    simulator.run({ untilMicros: second });
    options.onProgress?.(second, duration);
  }
  result.end = averageView();
  const counters = world.network.counters;
  return {
    seed: options.seed,
    nodes: nodeCount,
    minority,
    failAfterMicros,
    averageView: result,
    convergenceMicrosAfterHeal: convergence,
    detectionMicrosAfterPartition: detection,
    network: {
      sent: counters.sent,
      delivered: counters.delivered,
      droppedPartition: counters.droppedPartition,
      droppedLoss: counters.droppedLoss,
    },
    events: simulator.deliveredEvents,
    simulatedMicros: simulator.nowMicros,
    traceHash: simulator.traceHash(),
  };
}
