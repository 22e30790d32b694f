import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';

/**
 * A scenario leave waiting for its node's join (sim/nemesis.ts, leave) is given up when the run ends, and
 * counted as skipped: found by the day's last review, it kept polling into the final read phase, where it
 * started moving data under the final reads and was judged before it could finish.
 */
const scenario = `
name: join-then-leave-at-the-end
seed: 1
duration: 8s
quiescence: 1s
cluster: { nodes: 5, spareNodes: 1, vnodes: 64, n: 1, r: 1, w: 1, ringGossipInterval: 200ms }
workload: { rate: 100, clients: 4, keys: 300, mix: { get: 0.5, put: 0.5 } }
faults:
  - at: 6.5s
    join: { node: n5 }
  - at: 6.6s
    leave: { node: n5 }
checks: [membership]
`;

describe('a leave still waiting for its join when the run ends', () => {
  it('is skipped there, and the membership check names it', () => {
    const { result } = runScenario(loadScenario(scenario, 'join-then-leave-at-the-end.yaml'));
    const log = result.nemesis.map((e) => e.action);
    expect(log.some((action) => /^leave n5 skipped: .* at the end of the run$/.test(action))).toBe(true);
    expect(result.figures.membership!.changes.map((c) => `${c.kind} ${c.node}`)).toEqual(['join n5']);
    const membership = result.checks.find((c) => c.checker === 'membership')!;
    expect(membership.verdict).toBe('fail');
    expect(membership.counterexamples.some((c) => /^the leave of n5 asked at 6\.6 s was never made: .*end of the run/.test(c.explanation))).toBe(true);
  });
});
