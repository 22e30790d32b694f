import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load';
import { runScenario } from '../../../sim/run-scenario';

/**
 * A write queued behind a full memtable is visible to reads while it waits (the engine's lookup serves the
 * queue). When a storage failure refuses the queue, those writes are refused as outcome unknown, not as "not
 * applied": found by a scenario fuzzer, a replica answered "certainly not applied" for a value a read had
 * already returned, the client was told `fail`, and the stale-reads checker counted phantom reads.
 */
const scenario = `
name: stalled-writes-refused
seed: 875468
duration: 14s
quiescence: 6s
cluster:
  nodes: 3
  vnodes: 64
  n: 2
  r: 1
  w: 1
  sloppyQuorum: false
  readRepair: false
  storage: { memtableBytes: 256B, compaction: size-tiered, writeMegabytesPerSecond: 1 }
workload:
  rate: 300
  clients: 11
  keys: 3
  mix: { get: 0.15, put: 0.85, delete: 0, cas: 0 }
  valueBytes: { min: 100, max: 150 }
  readModifyWrite: 0.3
faults:
  - at: 633ms
    disk: { nodes: [n1, n0], readFaultProbability: 0.001, writeFaultProbability: 0.1 }
checks: [lost-writes, { stale-reads: { maxStaleRate: 1 } }]
`;

describe('writes refused from the stall queue', () => {
  it('are answered outcome unknown, so no read of them is a phantom', () => {
    const { result } = runScenario(loadScenario(scenario, 'stalled-writes-refused.yaml'));
    const stale = result.checks.find((c) => c.checker === 'stale-reads')!;
    expect(stale.figures.phantomReads, stale.summary).toBe(0);
    expect(result.checks.find((c) => c.checker === 'lost-writes')!.verdict).toBe('ok');
  });
});
