import { describe, expect, it } from 'vitest';
import { formatResult } from '../../cli/commands/sim-run';
import { runScenario } from '../../sim/run-scenario';
import { loadScenario } from '../../sim/scenario/load';

/**
 * `sim run`'s membership line said "3229 keys copied in" for a join when only 957 distinct keys existed: the
 * figure counts sibling sets the joiner received — from every old replica of each arc it gains, catch-up pass
 * included (core/membership/membership.ts) — and sibling sets a leaver sent to every new replica. The line
 * says what it counts.
 */
const scenario = loadScenario(`name: tiny-join
seed: 2
duration: 12s
quiescence: 3s
cluster: { nodes: 3, spareNodes: 1, vnodes: 16, n: 3, r: 2, w: 2, ringGossipInterval: 200ms }
workload: { rate: 150, clients: 8, keys: 120, mix: { get: 0.3, put: 0.7 } }
faults:
  - { at: 4s, join: { node: n3 } }
  - { at: 7s, leave: { node: n1 } }
checks: [lost-writes, membership]
`, 'tiny-join.yaml');
const { result, history } = runScenario(scenario);
const text = formatResult(result, 1, 'npx dynalab sim run tiny-join.yaml');
const lines = text.split('\n').filter((line) => line.startsWith('  membership'));

describe('sim run: the membership line says what it counts', () => {
  it('a join: sibling sets received from every old replica, catch-up included — more than the keys there were', () => {
    const join = result.figures.membership!.changes.find((c) => c.kind === 'join')!;
    const line = lines.find((l) => l.includes('join n3'))!;
    expect(line).toContain(`${join.keys} sibling sets received (from every old replica, catch-up included) over ${join.streams} streams`);
    expect(line).not.toMatch(/keys copied in/);
    // Why "keys" was wrong: with N = 3 on 3 nodes every arc the joiner gains has three old replicas, and each
    // sends its copy, so the count passes the number of distinct keys written before the join.
    const keysBeforeJoin = new Set(history.events.filter((e) => e.type === 'ok' && e.f === 'put' && e.time < 4_000_000).map((e) => e.key)).size;
    expect(join.keys).toBeGreaterThan(keysBeforeJoin);
  });

  it('a leave: sibling sets sent to every new replica, catch-up included', () => {
    const leave = result.figures.membership!.changes.find((c) => c.kind === 'leave')!;
    const line = lines.find((l) => l.includes('leave n1'))!;
    expect(line).toContain(`${leave.keys} sibling sets sent (to every new replica, catch-up included) over ${leave.streams} streams`);
    expect(line).not.toMatch(/keys handed off/);
  });
});
