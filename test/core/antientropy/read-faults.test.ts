import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load';
import { runScenario } from '../../../sim/run-scenario';

/**
 * Anti-entropy reads its own copy of the keys it offers or answers; a read it cannot make (a read fault, a
 * corrupt block) leaves that key out of the exchange. Found by a scenario fuzzer: the error was thrown out of
 * the message handler and ended the simulated run (in real mode the exchange hung until its timeout).
 */
const scenario = `
name: anti-entropy-read-faults
seed: 1
duration: 10s
quiescence: 4s
cluster: { nodes: 3, vnodes: 16, n: 3, r: 1, w: 1, antiEntropyInterval: 200ms, storage: { memtableBytes: 512B } }
network: { latency: { kind: fixed, ms: 20 } }
workload: { rate: 100, keys: 20, mix: { get: 0.2, put: 0.8 } }
faults:
  - at: 1s
    disk: { nodes: [n1], readFaultProbability: 0.3 }
checks: [lost-writes]
`;

describe('anti-entropy under disk read faults', () => {
  it('skips the keys it cannot read instead of ending the run', () => {
    const { result } = runScenario(loadScenario(scenario, 'anti-entropy-read-faults.yaml'));
    expect(result.verdict).toBe('ok');
    expect(result.figures.antiEntropy.exchanges).toBeGreaterThan(0);
  });
});
