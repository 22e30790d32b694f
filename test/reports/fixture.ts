import type { CompactionMeasurement, Measured, ScenarioMeasurement } from '../../reports/measured';

/**
 * Fixed measurements shaped like a default run's (500 nodes, 256 vnodes, the 24 000-put LSM load), for tests
 * that check how the report words and labels figures without measuring anything.
 */
export const ringPoint = (vnodes: number, primary: number, replica: number, maxReplicaLoad: number) => ({
  vnodes, expectedPercent: 100 / Math.sqrt(vnodes), primaryStddevPercent: primary, replicaStddevPercent: replica,
  maxPrimaryLoad: 1 + primary / 30, minPrimaryLoad: 1 - primary / 30, maxReplicaLoad,
});

export const strategy = (name: 'leveled' | 'size-tiered', table: number, space: number): CompactionMeasurement => ({
  strategy: name, tableWriteAmplification: table, walWriteAmplification: 1.04, manifestWriteAmplification: 0.03,
  writeAmplification: table + 1.07, spaceAmplification: space, compactions: 100, flushes: 387, userBytes: 24_312_000,
  tableBytes: Math.round(space * 15_326_690), liveBytes: 15_326_690, liveKeys: 15_130,
  bytesPerLevel: [], engineBloomFalsePositiveRate: 0.005, engineBloomProbes: 20_000,
});

type Latency = ScenarioMeasurement['latency'][number];
export const latency = (op: Latency['op'], count: number, p999Ms: number): Latency => ({
  op, summary: { count, p50Ms: 0.9, p99Ms: 1.5, p999Ms } as Latency['summary'],
});

export const scenario = (overrides: Partial<ScenarioMeasurement> = {}): ScenarioMeasurement => ({
  file: 'scenarios/quickstart.yaml', name: 'quickstart', seed: 1,
  cluster: { nodes: 5, vnodes: 64, n: 3, r: 2, w: 2, conflict: 'vclock' },
  verdict: 'ok', traceHash: '4875412014cab64c',
  checks: [{ checker: 'lost-writes', verdict: 'ok', summary: 'none lost' }],
  latency: [latency('get', 2178, 1.75)],
  operations: { completed: 3640, ok: 3640, fail: 0, info: 0 },
  availability: { duringFaults: 0.9997, outsideFaults: 1, faultSeconds: 10 },
  staleReads: null, siblings: null, simulatedSeconds: 31.1, events: 26_011,
  ...overrides,
});

export const measured = (overrides: Partial<Measured> = {}): Measured => ({
  ring: {
    nodes: 500, replicas: 3,
    byVnodes: [ringPoint(1, 96.8, 57, 3.2), ringPoint(256, 6.45, 3.74, 1.117)],
    strategies: [],
  },
  bloom: {
    keys: 50_000, lookups: 200_000,
    points: [{ bitsPerKey: 10, probes: 7, model: 0.00957, measured: 0.00975, filterBytes: 62_500 }],
    chosen: { bitsPerKey: 10, probes: 7, model: 0.00957, measured: 0.00975, filterBytes: 62_500 },
  },
  compaction: {
    load: { puts: 24_000, keySpace: 24_000, valueBytes: 1000, memtableBytes: 64 * 1024, seed: 1 },
    strategies: [strategy('size-tiered', 4.52, 1.31), strategy('leveled', 10.2, 1.15)],
  },
  scenario: null,
  wallSeconds: {},
  ...overrides,
});
