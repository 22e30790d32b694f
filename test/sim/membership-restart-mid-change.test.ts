import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';

/**
 * A join or leave whose node crashes mid-change and is restarted resumes it (core/membership: start →
 * resumeOwnChange) and finishes. Found by a third scenario fuzzer: the simulator's figures recorded the resumed
 * change as a second one, so the first stayed "not finished", the membership check failed and the ring line said
 * "not converged" — though the change completed and no write was lost. One change now, with the resumed
 * incarnation's transfer and catch-up.
 */
const scenario = (kind: 'join' | 'leave') => `
name: restart-mid-${kind}
seed: 1
duration: 20s
quiescence: 10s
cluster: { nodes: 5, n: 3, vnodes: 16, ringGossipInterval: 200ms${kind === 'join' ? ', spareNodes: 1' : ''} }
workload: { rate: 100, keys: 200 }
faults:
  - at: 2s
    ${kind}: { node: ${kind === 'join' ? 'n5' : 'n1'} }
  - at: 2.5s
    crash: { nodes: [${kind === 'join' ? 'n5' : 'n1'}] }
  - at: 4s
    restart: all
checks: [lost-writes, membership]
`;

describe('a join or leave whose node restarts mid-change', () => {
  it.each(['leave', 'join'] as const)('%s: resumed and finished, counted once, the membership check passes', (kind) => {
    const { result } = runScenario(loadScenario(scenario(kind), `restart-mid-${kind}.yaml`));
    const membership = result.checks.find((c) => c.checker === 'membership')!;
    expect(membership.summary).toMatch(/^all 1 joins and leaves finished/);
    expect(membership.verdict).toBe('ok');
    expect(result.checks.find((c) => c.checker === 'lost-writes')!.verdict).toBe('ok');
  });
});
