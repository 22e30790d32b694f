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
/** Cluster sizes the demo accepts. Sampling asks every node about every member (O(n²)), so 500 nodes already take ~30 s of wall time. */
export const KERNEL_DEMO_MIN_NODES = 2;
export const KERNEL_DEMO_MAX_NODES = 5000;
export const KERNEL_DEMO_DEFAULT_DURATION_MICROS = 70_000_000;
/** Gossip round of every node. */
const KERNEL_DEMO_ROUND_MICROS = 500_000;
/** The partition starts at 15/70 and heals at 40/70 of the run (15 s and 40 s of the default 70 s). */
const KERNEL_DEMO_PARTITION_FRACTION = 15 / 70;
const KERNEL_DEMO_HEAL_FRACTION = 40 / 70;

/** When the partition starts and heals for a run of `durationMicros` (what the CLI does with --duration). */
export function kernelDemoSchedule(durationMicros: number): { partitionAtMicros: number; healAtMicros: number } {
  return {
    partitionAtMicros: Math.round(durationMicros * KERNEL_DEMO_PARTITION_FRACTION),
    healAtMicros: Math.round(durationMicros * KERNEL_DEMO_HEAL_FRACTION),
  };
}

/**
 * Gossip with one random peer per round spreads a heartbeat in about log2(n) rounds (with a tail), so the
 * failure timeout scales with log2(n): too short and healthy nodes flap, too long and a partition goes unseen.
 */
function kernelDemoFailAfterMicros(nodes: number): number {
  return KERNEL_DEMO_ROUND_MICROS * (2 * Math.ceil(Math.log2(nodes)) + 6);
}

/**
 * How much simulated time each phase of the demo needs on `nodes` nodes, and the shortest --duration that
 * gives every phase its time under the 15/70 and 40/70 schedule (whole seconds, rounded up):
 *  - warm-up before the partition: one failure timeout, for every heartbeat to reach every node and the φ
 *    detectors to learn the arrival rate (shorter, and "before the partition" shows nodes still missing);
 *  - detection inside the partition window: two failure timeouts — the slowest majority node drops the last
 *    minority node after 13–19 s at 50 nodes, 21–22 s at 200, 23 s at 500 (so the default 70 s still runs
 *    500 nodes; a seed now and then needs a little longer, and says "not detected before the heal");
 *  - after the heal: one failure timeout for the views to converge again (2–6 s measured up to 500 nodes).
 */
export function kernelDemoMinimumDuration(nodes: number): {
  warmUpMicros: number;
  detectionMicros: number;
  afterHealMicros: number;
  durationMicros: number;
} {
  const failAfter = kernelDemoFailAfterMicros(nodes);
  const warmUpMicros = failAfter;
  const detectionMicros = 2 * failAfter;
  const afterHealMicros = failAfter;
  const needed = Math.max(
    warmUpMicros / KERNEL_DEMO_PARTITION_FRACTION,
    detectionMicros / (KERNEL_DEMO_HEAL_FRACTION - KERNEL_DEMO_PARTITION_FRACTION),
    afterHealMicros / (1 - KERNEL_DEMO_HEAL_FRACTION),
  );
  return { warmUpMicros, detectionMicros, afterHealMicros, durationMicros: Math.ceil(needed / 1e6 - 1e-9) * 1e6 };
}

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
  /**
   * Just before the heal: how many majority nodes had dropped every minority node, and how many minority
   * nodes a majority node had dropped on average (all of them once detection happened).
   */
  droppedBeforeHeal: { majorityNodes: number; droppedEveryMinorityNode: number; averageMinorityNodesDropped: number };
  partitionAtMicros: number;
  healAtMicros: number;
  network: { sent: number; delivered: number; droppedPartition: number; droppedLoss: number };
  events: number;
  simulatedMicros: number;
  traceHash: string;
}

export function runKernelDemo(options: KernelDemoOptions): KernelDemoResult {
  const nodeCount = options.nodes;
  if (!Number.isInteger(nodeCount) || nodeCount < KERNEL_DEMO_MIN_NODES || nodeCount > KERNEL_DEMO_MAX_NODES) {
    throw new RangeError(`nodes must be an integer from ${KERNEL_DEMO_MIN_NODES} to ${KERNEL_DEMO_MAX_NODES}, got ${nodeCount}`);
  }
  const duration = options.durationMicros ?? KERNEL_DEMO_DEFAULT_DURATION_MICROS;
  const partitionAt = options.partitionAtMicros ?? 15_000_000;
  const healAt = options.healAtMicros ?? 40_000_000;
  const roundMicros = KERNEL_DEMO_ROUND_MICROS;
  const failAfterMicros = kernelDemoFailAfterMicros(nodeCount);
  if (!(0 < partitionAt && partitionAt < healAt && healAt < duration)) {
    throw new RangeError(`need 0 < partitionAtMicros < healAtMicros < durationMicros, got ${partitionAt}, ${healAt}, ${duration}`);
  }
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
  const droppedBeforeHeal: KernelDemoResult['droppedBeforeHeal'] = {
    majorityNodes: nodeCount - minority.length, droppedEveryMinorityNode: 0, averageMinorityNodesDropped: 0,
  };
  let detection: number | null = null;
  let convergence: number | null = null;

  const simulator = world.simulator;
  simulator.scheduleAt(partitionAt - 1, EventTag.Control, () => (result.beforePartition = averageView()));
  simulator.scheduleAt(partitionAt, EventTag.Fault, () => world.network.partition([minority]));
  simulator.scheduleAt(healAt - 1, EventTag.Control, () => {
    result.duringPartitionMajority = averageViewOf(false);
    result.duringPartitionMinority = averageViewOf(true);
    // Reading the detectors changes nothing in the run (no events, no randomness): the trace hash is unaffected.
    let dropped = 0;
    nodes.forEach((node, i) => {
      if (minoritySet.has(ids[i]!)) return;
      const count = minority.filter((m) => !node.isLive(m)).length;
      dropped += count;
      if (count === minority.length) droppedBeforeHeal.droppedEveryMinorityNode++;
    });
    droppedBeforeHeal.averageMinorityNodesDropped = dropped / droppedBeforeHeal.majorityNodes;
    // Detection after the last 250-ms sample but before the heal still counts (and keeps the two figures consistent).
    if (detection === null && droppedBeforeHeal.droppedEveryMinorityNode === droppedBeforeHeal.majorityNodes) {
      detection = healAt - 1 - partitionAt;
    }
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

  let reached = 0;
  for (let second = 1_000_000; second <= duration; second += 1_000_000) {
    simulator.run({ untilMicros: second });
    options.onProgress?.(second, duration);
    reached = second;
  }
  if (reached < duration) {
    // A duration that is not a whole number of seconds: run the last fraction too.
    simulator.run({ untilMicros: duration });
    options.onProgress?.(duration, duration);
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
    droppedBeforeHeal,
    partitionAtMicros: partitionAt,
    healAtMicros: healAt,
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
