import { describe, expect, it } from 'vitest';
import { brokenPromises, caseToScenario, runPropertyCheck, scenarioToYaml, type DrawnCase } from '../../sim/property-check';
import type { RunResult } from '../../sim/run-scenario';
import { runScenario } from '../../sim/run-scenario';
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
    // `sim run` on the written file fails for the reason the check did, and only for it (the drawn case has a
    // crash, so stale reads break no promise and are measured, not judged).
    const { result } = runScenario(loadScenario(failure.scenarioYaml, 'minimal.yaml'));
    expect(result.checks.map((c) => [c.checker, c.verdict])).toEqual([['lost-writes', 'fail'], ['stale-reads', 'ok'], ['siblings', 'ok']]);
  });

  it('catches a store that silently resolves conflicts by timestamp while claiming vector clocks', () => {
    const report = runPropertyCheck({ runs: 200, seed: 5, sabotage: 'lww' });
    expect(report.ok).toBe(false);
    expect(report.failure!.violations.join('\n')).toMatch(/lost an acknowledged write|stale read/);
  });

  it('writes a --sabotage lww failure as a file that `sim run` fails the same way: the same run, judged as vector clocks', () => {
    const failure = runPropertyCheck({ runs: 100, seed: 5, sabotage: 'lww' }).failure!;
    expect(failure.scenarioYaml).toMatch(/^# dynalab check --sabotage lww: /);
    const file = loadScenario(failure.scenarioYaml, 'check-failure-seed-5.yaml');
    expect([file.cluster.conflict, file.judgeConflictAs]).toEqual(['lww', 'vclock']);
    const { result } = runScenario(file);
    const checked = runScenario(caseToScenario(failure.minimal), { checkerMode: failure.minimal.conflict }).result;
    expect(result.traceHash).toBe(checked.traceHash);
    expect(result.verdict).toBe('fail');
    const lost = result.checks.find((c) => c.checker === 'lost-writes')!;
    expect(lost.summary).toMatch(/vclock mode/);
    expect(failure.violations[0]).toBe(`vector clocks lost an acknowledged write: ${lost.counterexamples[0]!.explanation}`);
  });

  it('turns a drawn case into a scenario that round-trips through YAML', () => {
    for (const change of [{ kind: 'none', atSeconds: 3, node: 0 }, { kind: 'join', atSeconds: 3, node: 0 }, { kind: 'leave', atSeconds: 5, node: 2 }] as const) {
      const drawn = { nodes: 4, n: 3, r: 2, w: 2, conflict: 'vclock' as const, sloppyQuorum: true, rate: 50, keys: 10, seed: 9, sabotage: 'none' as const, change, second: { kind: 'none' as const, atSeconds: 1, node: 0 }, slowLinks: change.kind === 'join',
        faults: [{ atSeconds: 2, kind: 'crash' as const, node: 1, amount: 1, tear: true }, { atSeconds: 4, kind: 'restart-all' as const, node: 0, amount: 1, tear: false }] };
      const scenario = caseToScenario(drawn);
      const reloaded = loadScenario(scenarioToYaml(drawn), 'x.yaml');
      expect(reloaded).toEqual(scenario);
      if (change.kind === 'join') expect(scenario.faults.at(-1)).toMatchObject({ at: 3_000_000, join: { node: 'n4' } });
      // The leaver is drawn among the nodes no fault crashes (n1 crashes): candidates n0, n2, n3, and 2 picks n3.
      if (change.kind === 'leave') expect(scenario.faults.at(-1)).toMatchObject({ at: 5_000_000, leave: { node: 'n3' } });
      expect(scenario.cluster.spareNodes).toBe(change.kind === 'join' ? 1 : 0);
    }
  });

  it('draws slow links (round trips up to two thirds of the request timeout), and holds them to the same promises', () => {
    // A scenario fuzzer found two broken promises only slow links reach: a slow owner suspected after a quarter
    // of the timeout made conditional writes meet at two coordinators, and final reads asked stand-ins.
    let slow = 0;
    const report = runPropertyCheck({ runs: 30, seed: 91, onRun: (_, drawn) => (slow += drawn.slowLinks ? 1 : 0) });
    expect(report.failure?.violations ?? [], report.failure?.scenarioYaml).toEqual([]);
    expect(slow).toBeGreaterThan(5);
  });

  it('draws joins and leaves, and holds them to the same promises', () => {
    // The protocol review found four ways a join or leave lost acknowledged writes or left replicas apart, none
    // of which `check` could find while it drew no membership change.
    const kinds = new Map<string, number>();
    const report = runPropertyCheck({ runs: 40, seed: 77, onRun: (_, drawn) => kinds.set(drawn.change.kind, (kinds.get(drawn.change.kind) ?? 0) + 1) });
    expect(report.failure?.violations ?? [], report.failure?.scenarioYaml).toEqual([]);
    expect(kinds.get('join')).toBeGreaterThan(5);
    expect(kinds.get('leave')).toBeGreaterThan(5);
  });
  it('an acknowledged write no final read could judge, or a phantom read, is a broken promise in every configuration', () => {
    // Found by the checker review: lost-writes 'unknown' (a key unreadable after the heal) passed, and reads
    // of values no write produced were judged only where fresh reads are promised.
    const drawn: DrawnCase = { nodes: 3, n: 3, r: 1, w: 1, conflict: 'lww', sloppyQuorum: true, rate: 20, keys: 3, faults: [], change: { kind: 'none', atSeconds: 1, node: 0 }, second: { kind: 'none', atSeconds: 1, node: 0 }, slowLinks: false, seed: 1, sabotage: 'none' };
    const resultWith = (checks: { checker: string; verdict: string; summary: string; figures?: Record<string, number>; explanation?: string }[]) =>
      ({
        checks: checks.map((c) => ({ ...c, figures: c.figures ?? {}, counterexamples: c.explanation ? [{ key: 'k', events: [1], explanation: c.explanation }] : [] })),
        figures: { finalDivergentKeys: 0 },
      }) as unknown as RunResult;
    expect(brokenPromises(drawn, resultWith([{ checker: 'lost-writes', verdict: 'unknown', summary: '5 acknowledged writes on 3 keys not judged' }]))).toEqual([
      'after the heal the final reads could not judge every acknowledged write: 5 acknowledged writes on 3 keys not judged',
    ]);
    const phantom = resultWith([{ checker: 'stale-reads', verdict: 'fail', summary: '1 phantom reads', figures: { phantomReads: 1 }, explanation: 'phantom read: x was never written to this key' }]);
    expect(brokenPromises(drawn, phantom)).toEqual(['a read returned what a correct store cannot return: phantom read: x was never written to this key']);
    // A join whose catch-up pass was still waiting at the end is wedged: every fault was healed well before.
    const wedged = { ...resultWith([]), figures: { finalDivergentKeys: 0, membership: { changes: [{ kind: 'join', node: 'n3', atSeconds: 4, totalSeconds: 1, caughtUpSeconds: null }] } } } as unknown as RunResult;
    expect(brokenPromises(drawn, wedged)).toEqual(['the join of n3 announced at 4.0 s: its catch-up pass never finished']);
    // R = W = 1 promises no freshness: a plain stale read is measured, not a broken promise.
    expect(brokenPromises(drawn, resultWith([{ checker: 'stale-reads', verdict: 'fail', summary: 'stale', figures: { phantomReads: 0 } }]))).toEqual([]);
  });
});
