import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run-scenario';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';
import { expandVariants } from '../../sim/variants';
import { parse } from 'yaml';

/**
 * What a scenario file can get wrong is reported when it loads — file, line, column, field — never as a stack
 * trace once the run has started (or, for checker settings, once it has finished).
 */
const root = resolve(__dirname, '../..');

/** A small valid scenario; `edit` replaces whole lines by their first words. */
const lines = {
  name: 'name: v',
  duration: 'duration: 10s',
  quiescence: 'quiescence: 3s',
  cluster: 'cluster: { nodes: 4, vnodes: 16, n: 3, r: 2, w: 2 }',
  clocks: 'clocks: { skewMs: 1 }',
  network: 'network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.4 } }',
  workload: 'workload: { rate: 50, clients: 4, keys: 10, mix: { get: 0.5, put: 0.5 } }',
  faults: 'faults:\n  - { at: 2s, partition: { isolate: n1 } }\n  - { at: 5s, heal: true }',
  checks: 'checks: [lost-writes, stale-reads]',
};
const text = (edit: Partial<typeof lines> = {}) => Object.values({ ...lines, ...edit }).join('\n') + '\n';

/** The loader's message for a scenario it refuses ('accepted' if it loads). */
function refusal(edit: Partial<typeof lines>): string {
  try {
    loadScenario(text(edit), 'v.yaml');
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
}

describe('scenario validation: problems that used to surface only while running', () => {
  it('the base scenario is valid', () => {
    expect(refusal({})).toBe('accepted');
  });

  it('the run timeline: duration 0, quiescence ≥ duration, stopAt outside the run', () => {
    expect(refusal({ duration: 'duration: 0s' })).toMatch(/^ {2}v\.yaml:2:11: duration: duration must be more than 0$/m);
    expect(refusal({ quiescence: 'quiescence: 10s' })).toMatch(/v\.yaml:3:13: quiescence: quiescence \(10 s\) must be shorter than duration \(10 s\)/);
    // Not written: the default quiescence (10 s) is blamed at the duration's line.
    expect(refusal({ duration: 'duration: 5s', quiescence: '' })).toMatch(/v\.yaml:2:11: quiescence: quiescence \(10 s\) must be shorter than duration \(5 s\)/);
    expect(refusal({ workload: 'workload: { rate: 50, stopAt: 12s }' })).toMatch(/v\.yaml:7:31: workload\.stopAt: the workload must stop within the run/);
  });

  it('a fault at or after duration − quiescence is an error naming the fault and the window, not dropped', () => {
    const message = refusal({ faults: 'faults:\n  - { at: 2s, partition: { isolate: n1 } }\n  - { at: 8s, heal: true }' });
    expect(message).toMatch(/v\.yaml:10:11: faults\.1\.at: fault 1 \(heal at 8 s\) would never happen: faults run in \[0 s, 7 s\) — at 7 s \(duration 10 s − quiescence 3 s\)/);
    expect(refusal({ faults: 'faults:\n  - { at: 7s, crash: { count: 1 } }' })).toMatch(/faults\.0\.at: fault 0 \(crash at 7 s\)/);
    expect(refusal({ faults: 'faults:\n  - { at: 6999ms, crash: { count: 1 } }' })).toBe('accepted');
  });

  it('an empty checks list is refused (it ran no checker and printed verdict OK); left out, the default applies', () => {
    expect(refusal({ checks: 'checks: []' })).toMatch(/v\.yaml:\d+:\d+: checks: list at least one check/);
    expect(refusal({ checks: '' })).toBe('accepted');
  });

  it('faults that would do nothing, or more than asked: a one-way cut of a node from itself, a crash count over the nodes, a clock fault with no change', () => {
    expect(refusal({ faults: 'faults:\n  - { at: 2s, partition: { oneWay: { from: [n1], to: [n1, n2] } } }' })).toMatch(/faults\.0\.partition\.oneWay\.to: n1 is on both sides of the one-way cut/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, crash: { count: 10 } }' })).toMatch(/faults\.0\.crash\.count: crash count 10 is more than the 4 nodes/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, clock: { nodes: [n1] } }' })).toMatch(/faults\.0\.clock: a clock fault needs jumpMs, driftPpm or both/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, crash: { count: 4 } }' })).toBe('accepted');
  });

  it('a missing required field, an empty file and a duplicate key say so, naming the field', () => {
    expect(refusal({ duration: '' })).toMatch(/v\.yaml:1:1: duration: required, but missing from the file/);
    expect(() => loadScenario('', 'empty.yaml')).toThrow(/empty\.yaml: the file is empty: a scenario needs at least duration, cluster and workload/);
    expect(refusal({ quiescence: 'quiescence: 3s\nquiescence: 2s' })).toMatch(/v\.yaml:4:1: YAML: Map keys must be unique \('quiescence' is given twice\)/);
  });

  it('quiescence 0 s with a convergence check whose threshold defaults to it is refused; with a threshold, or without the check, it is not', () => {
    const noFaults = 'faults: []';
    expect(refusal({ quiescence: 'quiescence: 0s', faults: noFaults, checks: 'checks: [lost-writes, convergence]' })).toMatch(/v\.yaml:3:13: quiescence: quiescence 0 s leaves the replicas no time to agree/);
    expect(refusal({ quiescence: 'quiescence: 0s', faults: noFaults, checks: 'checks: [lost-writes, { convergence: { thresholdMicros: 2000000 } }]' })).toBe('accepted');
    expect(refusal({ quiescence: 'quiescence: 0s', faults: noFaults, checks: 'checks: [lost-writes]' })).toBe('accepted');
  });

  it('unknown nodes in faults and clocks, pointing at the name', () => {
    expect(refusal({ faults: 'faults:\n  - { at: 2s, partition: { isolate: n99 } }' })).toMatch(/v\.yaml:9:37: faults\.0\.partition\.isolate: unknown node 'n99' \(nodes are n0\.\.n3\)/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, crash: { nodes: [n0, n4] } }' })).toMatch(/v\.yaml:9:36: faults\.0\.crash\.nodes\.1: unknown node 'n4'/);
    expect(refusal({ clocks: 'clocks: { nodes: { n99: { offsetMs: 5 } } }' })).toMatch(/v\.yaml:5:\d+: clocks\.nodes\.n99: unknown node 'n99'/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, partition: { groups: [[n0, n1], [n1]] } }' })).toMatch(/faults\.0\.partition\.groups\.1\.0: node 'n1' is in more than one group/);
  });

  it('a join of an existing member, and join/leave without ring gossip', () => {
    expect(refusal({ faults: 'faults:\n  - { at: 2s, join: { node: n3 } }' })).toMatch(
      /v\.yaml:9:29: faults\.0\.join\.node: n3 is already a ring member \(cluster\.nodes: 4 makes n0\.\.n3 members\); join names a spare machine: there are no spare machines \(set cluster\.spareNodes\)/,
    );
    expect(refusal({ cluster: 'cluster: { nodes: 4, spareNodes: 1, ringGossipInterval: 0s }', faults: 'faults:\n  - { at: 2s, join: { node: n4 } }' })).toMatch(
      /cluster\.ringGossipInterval: spare nodes need ring gossip/,
    );
    expect(refusal({ cluster: 'cluster: { nodes: 4, spareNodes: 1 }', faults: 'faults:\n  - { at: 1s, crash: { nodes: [n4] } }\n  - { at: 2s, join: { node: n4 } }' })).toMatch(
      /faults\.1\.join\.node: n4 is down at 2 s \(crashed by faults\.0, not restarted\)/,
    );
  });

  it('ranges across fields: value sizes, uniform latency, request timeout, memtable, drift', () => {
    expect(refusal({ workload: 'workload: { rate: 50, valueBytes: { min: 500, max: 10 } }' })).toMatch(/v\.yaml:7:52: workload\.valueBytes\.max: max \(10\) must be at least min \(500\)/);
    expect(refusal({ network: 'network: { latency: { kind: uniform, minMs: 10, maxMs: 1 } }' })).toMatch(/v\.yaml:6:\d+: network\.latency\.maxMs: uniform latency needs minMs ≤ maxMs/);
    expect(refusal({ cluster: 'cluster: { nodes: 4, storage: { syncLatency: { kind: uniform, minMs: 5, maxMs: 1 } } }' })).toMatch(/cluster\.storage\.syncLatency\.maxMs: uniform latency/);
    expect(refusal({ cluster: 'cluster: { nodes: 4, requestTimeout: 0s }' })).toMatch(/v\.yaml:4:\d+: cluster\.requestTimeout: requestTimeout must be more than 0/);
    expect(refusal({ cluster: 'cluster: { nodes: 4, storage: { memtableBytes: 0 } }' })).toMatch(/cluster\.storage\.memtableBytes: memtableBytes must be more than 0/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, clock: { nodes: [n1], driftPpm: -600000 } }' })).toMatch(/faults\.0\.clock\.driftPpm/);
  });

  it('clock skews, offsets, jumps and per-node drift are bounded so clock readings stay storable', () => {
    expect(refusal({ faults: 'faults:\n  - { at: 2s, clock: { nodes: [n1], jumpMs: 5e12 } }' })).toMatch(/faults\.0\.clock\.jumpMs: must be within ±1e12 ms/);
    expect(refusal({ clocks: 'clocks: { skewMs: 7e12 }' })).toMatch(/v\.yaml:5:\d+: clocks\.skewMs: must be within ±1e12 ms/);
    expect(refusal({ clocks: 'clocks: { nodes: { n0: { offsetMs: -2e12 } } }' })).toMatch(/clocks\.nodes\.n0\.offsetMs: must be within ±1e12 ms/);
    expect(refusal({ clocks: 'clocks: { nodes: { n0: { driftPpm: 2000000 } } }' })).toMatch(/clocks\.nodes\.n0\.driftPpm/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, clock: { nodes: [n1], jumpMs: -1e12 } }' })).toBe('accepted');
  });

  it('every problem at once, each with its line', () => {
    const message = refusal({ duration: 'duration: 0s', faults: 'faults:\n  - { at: 2s, partition: { isolate: n99 } }' });
    expect(message).toMatch(/v\.yaml:2:11: duration/);
    expect(message).toMatch(/v\.yaml:9:37: faults\.0\.partition\.isolate/);
    // A schema error elsewhere (a check setting) does not hide them; all come in file order.
    const both = refusal({ faults: 'faults:\n  - { at: 8s, heal: true }', checks: 'checks: [{ stale-reads: { maxStaleRate: 7 } }]' });
    expect(both).toMatch(/v\.yaml:9:11: faults\.0\.at: fault 0 \(heal at 8 s\) would never happen[^\n]*\n\s*v\.yaml:10:\d+: checks\.0\.stale-reads\.maxStaleRate: /);
  });

  it('a fault of the wrong form lists the forms it accepts', () => {
    expect(refusal({ faults: 'faults:\n  - { at: 2s, partition: { fractin: 0.3 } }' })).toMatch(
      /v\.yaml:9:26: faults\.0\.partition: partition is one of: \{ fraction: 0\.3 \} .*\{ halves: true \}, \{ isolate: n1 \}, \{ groups: .*\{ oneWay: /,
    );
    expect(refusal({ faults: 'faults:\n  - { at: 2s, restart: some }' })).toMatch(/faults\.0\.restart: restart is one of: \{ nodes: \[n1, n2\] \} or all/);
    expect(refusal({ faults: 'faults:\n  - { at: 2s, crash: { nodez: [n1] } }' })).toMatch(/faults\.0\.crash: crash is one of: \{ nodes: \[n1, n2\] \}, \{ count: 2 \}, \{ fraction: 0\.3 \}/);
    // A form that matched keeps its own message.
    expect(refusal({ faults: 'faults:\n  - { at: 2s, partition: { fraction: 2 } }' })).toMatch(/faults\.0\.partition\.fraction: Too big/);
  });
});

describe('checker settings: a strict schema per check', () => {
  const withCheck = (check: string) => refusal({ checks: `checks:\n  - ${check}` });

  it('a typo is an error naming the known settings, not a silent default', () => {
    expect(withCheck('stale-reads: { maxStaleRat: 0.01 }')).toMatch(
      /v\.yaml:12:33: checks\.0\.stale-reads\.maxStaleRat: unknown setting 'maxStaleRat' of check 'stale-reads' \(its settings: maxStaleRate, maxCounterexamples\)/,
    );
    expect(withCheck('siblings: { maxSibling: 2 }')).toMatch(/unknown setting 'maxSibling' of check 'siblings' \(its settings: maxSiblings, maxCounterexamples\)/);
  });

  it('what the runner supplies is not a setting', () => {
    expect(withCheck('convergence: { samples: 5 }')).toMatch(/checks\.0\.convergence\.samples: 'samples' is supplied by the runner, not a setting of check 'convergence' \(its settings: threshold, thresholdMicros\)/);
    expect(withCheck('convergence: { healTime: 5 }')).toMatch(/'healTime' is supplied by the runner/);
    expect(withCheck('lost-writes: { mode: lww }')).toMatch(/'mode' is supplied by the runner/);
  });

  it('out-of-range and mistyped values fail when the file loads, not after the run', () => {
    expect(withCheck('stale-reads: { maxStaleRate: 7 }')).toMatch(/v\.yaml:12:34: checks\.0\.stale-reads\.maxStaleRate: maxStaleRate is a share of reads, from 0 to 1/);
    expect(withCheck('stale-reads: { maxStaleRate: abc }')).toMatch(/checks\.0\.stale-reads\.maxStaleRate: Invalid input: expected number/);
    expect(withCheck('linearizability: { maxSteps: -1 }')).toMatch(/checks\.0\.linearizability\.maxSteps/);
    expect(withCheck('siblings: { maxCounterexamples: 1.5 }')).toMatch(/checks\.0\.siblings\.maxCounterexamples/);
    expect(withCheck('convergence: 5')).toMatch(/settings of check 'convergence' are a map/);
  });

  it('valid settings reach the checker; a bare name keeps its defaults', () => {
    const scenario = loadScenario(text({ checks: 'checks:\n  - stale-reads: { maxStaleRate: 0.5 }\n  - convergence:\n  - { siblings: { maxSiblings: 0 } }' }), 'v.yaml');
    expect(scenario.checks).toEqual([{ 'stale-reads': { maxStaleRate: 0.5 } }, { convergence: {} }, { siblings: { maxSiblings: 0 } }]);
    const { result } = runScenario(scenario);
    expect(result.checks.find((c) => c.checker === 'siblings')?.verdict).toBe('fail');
    expect(result.checks.find((c) => c.checker === 'convergence')?.summary).toMatch(/threshold 3 s/);
  });

  it("convergence's threshold is a duration (40s), the same as thresholdMicros; not both, and not a bare word", () => {
    const scenario = loadScenario(text({ checks: 'checks:\n  - convergence: { threshold: 2500ms }' }), 'v.yaml');
    expect(scenario.checks).toEqual([{ convergence: { thresholdMicros: 2_500_000 } }]);
    expect(runScenario(scenario).result.checks[0]!.summary).toMatch(/threshold 2\.5 s/);
    expect(withCheck('convergence: { threshold: 2s, thresholdMicros: 2000000 }')).toMatch(/checks\.0\.convergence\.threshold: give threshold \(a duration like 40s\) or thresholdMicros, not both/);
    expect(withCheck('convergence: { threshold: soon }')).toMatch(/checks\.0\.convergence\.threshold: /);
    expect(refusal({ quiescence: 'quiescence: 0s', faults: 'faults: []', checks: 'checks: [lost-writes, { convergence: { threshold: 2s } }]' })).toBe('accepted');
  });

  it('every shipped scenario still loads with its settings', () => {
    for (const file of ['quickstart', 'partition-500', 'hinted-handoff', 'quorum-tradeoffs', 'read-repair']) {
      expect(() => loadScenario(readFileSync(join(root, 'scenarios', `${file}.yaml`), 'utf8'), file)).not.toThrow();
    }
  });
});

describe('sim compare variants', () => {
  const base = loadScenario(text(), 'v.yaml');

  it('memtable and diskMBps set the storage knobs; bad values are refused naming the form', () => {
    const variants = expandVariants(base, ['memtable=64KiB,4MiB', 'diskMBps=5']);
    expect(variants.map((v) => [v.scenario.cluster.storage.memtableBytes, v.scenario.cluster.storage.writeMegabytesPerSecond])).toEqual([[65536, 5], [4194304, 5]]);
    expect(() => expandVariants(base, ['memtable=lots'])).toThrow(/memtable must be a size like 64KiB or 4MiB, got 'lots'/);
    expect(() => expandVariants(base, ['diskMBps=-1'])).toThrow(/diskMBps must be a number ≥ 0/);
  });

  it('grace sets the tombstone grace (10 days unless given); a bad value is refused naming the form', () => {
    expect(base.cluster.storage.tombstoneGrace).toBe(10 * 24 * 3_600_000_000);
    const variants = expandVariants(base, ['grace=30s,240h']);
    expect(variants.map((v) => v.scenario.cluster.storage.tombstoneGrace)).toEqual([30_000_000, 240 * 3_600_000_000]);
    expect(() => expandVariants(base, ['grace=soon'])).toThrow(/grace must be a duration like 30s or 240h, got 'soon'/);
    const file = loadScenario(text({ cluster: 'cluster: { nodes: 4, vnodes: 16, n: 3, r: 2, w: 2, storage: { tombstoneGrace: 90s } }' }), 'g.yaml');
    expect(file.cluster.storage.tombstoneGrace).toBe(90_000_000);
  });

  it('a knob given twice, or with values repeated, is refused', () => {
    expect(() => expandVariants(base, ['conflict=lww', 'conflict=vclock'])).toThrow(/conflict is already varied by --vary 'conflict=lww'/);
    expect(() => expandVariants(base, ['n=3,3'])).toThrow(/--vary 'n=3,3': value '3' is given twice/);
    expect(() => expandVariants(base, ['nrw=3/2/2,3/1/1', 'r=1'])).toThrow(/r and nrw set the same replication knobs/);
    expect(() => expandVariants(base, ['n=3,03'])).toThrow(/variants n=3 and n=03 are the same scenario/);
  });

  it('a variant the scenario cannot run is refused before anything runs', () => {
    expect(() => expandVariants(base, ['r=4'])).toThrow(/variant r=4: N=3 R=4 W=2 is invalid/);
    expect(() => expandVariants(base, ['vnodes=5000'])).toThrow(/vnodes must be a positive integer ≤ 4096/);
    expect(expandVariants(base, ['conflict=lww,vclock', 'r=1,2']).map((v) => v.label)).toEqual(['conflict=lww r=1', 'conflict=lww r=2', 'conflict=vclock r=1', 'conflict=vclock r=2']);
  });
});

describe('scenario comments say what their files do', () => {
  const read = (name: string) => {
    const source = readFileSync(join(root, 'scenarios', `${name}.yaml`), 'utf8');
    const words = source.split('\n').filter((line) => line.startsWith('#')).join(' ') + ' ' + String(parse(source).description);
    return { scenario: loadScenario(source, name), words };
  };

  it('hinted-handoff: read repair is off, so no comment promises it', () => {
    const { scenario, words } = read('hinted-handoff');
    expect(scenario.cluster.readRepair).toBe(false);
    expect(words).not.toMatch(/until a read repairs/);
  });

  it('quorum-tradeoffs: the fault cuts n3 off; nothing is merely slow', () => {
    const { scenario, words } = read('quorum-tradeoffs');
    expect(scenario.faults[0]!.partition).toEqual({ isolate: 'n3' });
    expect(words).not.toMatch(/slow/);
    expect(words).toMatch(/n3 cut off/);
  });

  it('partition-500: every crashed node comes back (restart: all)', () => {
    const { scenario, words } = read('partition-500');
    expect(scenario.faults.find((f) => f.restart !== undefined)?.restart).toBe('all');
    expect(words).not.toMatch(/two come back/);
    expect(words).toMatch(/all three\s+#? ?come back/);
  });
});
