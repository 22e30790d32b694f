import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';

// Two edges of a run found by a scenario fuzzer.
describe('a run', () => {
  it('applies a fault timed at 0 s (while the nodes booted) at once, instead of throwing', () => {
    const yaml = `
name: fault-at-zero
duration: 3s
quiescence: 1s
cluster: { nodes: 3 }
workload: { rate: 10 }
faults:
  - at: 0s
    partition: { isolate: n1 }
  - at: 1s
    heal: true
checks: [lost-writes]
`;
    const { result } = runScenario(loadScenario(yaml, 'fault-at-zero.yaml'));
    expect(result.nemesis[0]!.action).toBe('partition: isolate n1');
    expect(result.verdict).toBe('ok');
  });

  it('gives every key enough final-read attempts on a lossy network (lost-writes judged, not unknown)', () => {
    // 15 % loss, no fault: a final R = N read that loses a message waits the whole 2 s final-read wait. The
    // phase was budgeted in request timeouts (7 s here): ~3 attempts per key, and some keys got no final read.
    const yaml = `
name: lossy-final-reads
seed: 1
duration: 8s
quiescence: 3s
cluster: { nodes: 3, n: 3, r: 2, w: 2, requestTimeout: 100ms }
network: { loss: 0.15 }
workload: { rate: 100, keys: 100, mix: { get: 0.2, put: 0.8 } }
checks: [lost-writes]
`;
    const { result } = runScenario(loadScenario(yaml, 'lossy-final-reads.yaml'));
    const lost = result.checks.find((c) => c.checker === 'lost-writes')!;
    expect(lost.verdict, lost.summary).toBe('ok');
  });
});
