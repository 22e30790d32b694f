import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load';
import { runScenario } from '../../../sim/run-scenario';

/**
 * An owner that refuses a replica write (its storage failed) gets a hint from the coordinator, as a silent one
 * does. Found by a scenario fuzzer: at W = 1 with read repair off, owners that refused writes under disk faults
 * stayed without them after every fault was healed and every node restarted — replicas divergent for good.
 */
const scenario = `
name: refused-owners-get-hints
seed: 1
duration: 12s
quiescence: 6s
cluster: { nodes: 3, n: 3, r: 1, w: 1, readRepair: false }
workload: { rate: 50, keys: 20, mix: { get: 0.2, put: 0.8 } }
faults:
  - at: 1s
    disk: { nodes: [n1, n2], writeFaultProbability: 0.2 }
  - at: 3s
    disk: { nodes: [n1, n2] }
  - at: 3100ms
    restart: all
checks: [lost-writes]
`;

describe('an owner that refused a write', () => {
  it('gets it later through a hint: replicas agree after the heal', () => {
    const { result } = runScenario(loadScenario(scenario, 'refused-owners-get-hints.yaml'));
    expect(result.verdict).toBe('ok');
    expect(result.figures.hints.delivered).toBeGreaterThan(0);
    expect(result.figures.finalDivergentKeys).toBe(0);
  });
});
