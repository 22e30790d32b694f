import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';

/** scenarios/join-leave.yaml end to end: join and leave faults through the nemesis, figures, replay. */
describe('scenarios/join-leave.yaml', () => {
  const text = readFileSync('scenarios/join-leave.yaml', 'utf8');
  const scenario = loadScenario(text, 'join-leave.yaml');
  const { result } = runScenario(scenario);

  it('keeps every acknowledged write through a join and a leave, fully available', () => {
    expect(result.verdict).toBe('ok');
    expect(result.figures.operations.fail + result.figures.operations.info).toBe(0);
    expect(result.nemesis.map((e) => e.action)).toEqual(['join n5 (seed n0)', 'leave n1']);
  });

  it('reports the membership figures: keys moved, transfers finished, one ring everywhere', () => {
    const m = result.figures.membership!;
    expect(m.members).toEqual(['n0', 'n2', 'n3', 'n4', 'n5']);
    expect(m.changes.map((c) => `${c.kind} ${c.node}`)).toEqual(['join n5', 'leave n1']);
    for (const change of m.changes) {
      expect(change.keys).toBeGreaterThan(100);
      expect(change.totalSeconds).not.toBeNull();
    }
    expect(m.ringConvergedAfterSeconds).not.toBeNull();
    expect(m.ringVersion).toBe(4);
    expect(result.figures.finalDivergentKeys).toBe(0);
  });

  it('same seed, same trace hash', () => {
    expect(runScenario(scenario).result.traceHash).toBe(result.traceHash);
  });

  it('a scenario without membership changes has no membership figures (and no ring gossip)', () => {
    const { ringGossipInterval: _unused, ...cluster } = scenario.cluster;
    const plain = { ...scenario, duration: 20_000_000, cluster: { ...cluster, spareNodes: 0 }, faults: [] };
    expect(runScenario(plain).result.figures.membership).toBeUndefined();
  });

  it('names an unknown node in a join or leave', () => {
    const bad = loadScenario(text.replace('join: { node: n5 }', 'join: { node: n9 }'), 'bad.yaml');
    expect(() => runScenario(bad)).toThrow(ScenarioError);
    expect(() => runScenario(bad)).toThrow(/unknown node 'n9' \(nodes are n0..n5\)/);
  });
});
