import { describe, expect, it } from 'vitest';
import { caseToScenario, runPropertyCheck, scenarioToYaml } from '../../sim/property-check';
import { loadScenario } from '../../sim/scenario/load';

const LONG = process.env.DYNALAB_LONG === '1';

describe('dynalab check: property-based consistency checks', () => {
  it(`${LONG ? 400 : 30} drawn scenarios keep every promise their configuration makes`, () => {
    const report = runPropertyCheck({ runs: LONG ? 400 : 30, seed: 20261125 });
    expect(report.failure?.violations ?? [], report.failure?.scenarioYaml).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('catches a store that acknowledges before fsync, and shrinks it to a small replayable case', () => {
    const report = runPropertyCheck({ runs: 200, seed: 3, sabotage: 'ack-before-fsync' });
    expect(report.ok).toBe(false);
    const failure = report.failure!;
    expect(failure.violations.join('\n')).toMatch(/lost an acknowledged write/);
    // Shrunk: at most a couple of faults, and the crash that exposes the bug is among them.
    expect(failure.minimal.faults.length).toBeLessThanOrEqual(2);
    expect(failure.minimal.faults.some((f) => f.kind === 'crash')).toBe(true);
    // The printed YAML is a valid scenario, and the replay path reproduces the same failure.
    expect(loadScenario(failure.scenarioYaml, 'minimal.yaml').cluster.storage.syncWrites).toBe(false);
    const replay = runPropertyCheck({ runs: 1, seed: 3, path: failure.path, sabotage: 'ack-before-fsync' });
    expect(replay.ok).toBe(false);
    expect(replay.failure!.minimal).toEqual(failure.minimal);
  });

  it('catches a store that silently resolves conflicts by timestamp while claiming vector clocks', () => {
    const report = runPropertyCheck({ runs: 200, seed: 5, sabotage: 'lww' });
    expect(report.ok).toBe(false);
    expect(report.failure!.violations.join('\n')).toMatch(/lost an acknowledged write|stale read/);
  });

  it('turns a drawn case into a scenario that round-trips through YAML', () => {
    const drawn = { nodes: 4, n: 3, r: 2, w: 2, conflict: 'vclock' as const, sloppyQuorum: true, rate: 50, keys: 10, seed: 9, sabotage: 'none' as const,
      faults: [{ atSeconds: 2, kind: 'crash' as const, node: 1, amount: 1, tear: true }, { atSeconds: 4, kind: 'restart-all' as const, node: 0, amount: 1, tear: false }] };
    const scenario = caseToScenario(drawn);
    const reloaded = loadScenario(scenarioToYaml(drawn), 'x.yaml');
    expect(reloaded).toEqual(scenario);
  });
});
