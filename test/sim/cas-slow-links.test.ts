import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';

/**
 * With no fault, one conditional write wins per version — even on slow links. Found by a scenario fuzzer:
 * links of 0–100 ms one way against a 300 ms request timeout; a read or write that waited 75 ms (a quarter of
 * the timeout) for an owner suspected it, and entry nodes then routed conditional writes of its keys to the
 * second owner, where they ran beside the ones still sent to the first: two winners for one version, on every
 * seed tried. Conditional writes now go around an owner only once it was silent for a whole timeout.
 */
const scenario = `
name: cas-on-slow-links
seed: 1
duration: 12s
quiescence: 4s
cluster: { nodes: 3, vnodes: 16, n: 3, r: 2, w: 2, conflict: vclock, sloppyQuorum: false, requestTimeout: 300ms }
network:
  latency: { kind: uniform, minMs: 0, maxMs: 100 }
workload:
  rate: 20
  clients: 8
  keys: 1
  mix: { get: 0.5, put: 0, delete: 0, cas: 0.5 }
  valueBytes: { min: 8, max: 8 }
checks: [cas-winners]
`;

describe('conditional writes on slow links, no faults', () => {
  it.each([1, 2, 3])('one winner per version (seed %i)', (seed) => {
    const { result } = runScenario(loadScenario(scenario, 'cas-on-slow-links.yaml'), { seed });
    const cas = result.checks.find((c) => c.checker === 'cas-winners')!;
    expect(cas.summary).toMatch(/^every version was replaced by at most one of \d+ acknowledged cas/);
  });
});
