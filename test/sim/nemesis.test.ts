import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';
import { Nemesis } from '../../sim/nemesis';
import { runScenario } from '../../sim/run-scenario';
import { loadScenario } from '../../sim/scenario/load';
import type { ScenarioFault } from '../../sim/scenario/schema';

// Found by the nemesis review (scripts in /tmp/review-s10/workload): a restart that failed to boot was silent, a
// heal or restart that did nothing moved the heal time, a fraction could round to every node, a loss burst
// below the base rate lowered the loss, and a cleared disk fault counted as a heal while the node's storage
// stayed failed.

type Result = ReturnType<typeof runScenario>['result'];

function run(yaml: string): Result {
  return runScenario(loadScenario(yaml, 'nemesis.yaml')).result;
}

function checkOf(result: Result, checker: string) {
  const check = result.checks.find((c) => c.checker === checker);
  if (check === undefined) throw new Error(`no ${checker} result`);
  return check;
}

const actions = (result: Result): string[] => result.nemesis.map((entry) => entry.action);

/** A small cluster and a nemesis playing `faults` on it, run to `untilMicros`. */
function playFaults(faults: ScenarioFault[], untilMicros: number, options: { loss?: number; nodes?: number } = {}) {
  const cluster = new SimCluster({ seed: 3, nodes: options.nodes ?? 5, vnodes: 16, network: { lossProbability: options.loss ?? 0 } });
  const nemesis = new Nemesis(cluster, cluster.simulator.random.fork('nemesis'));
  nemesis.schedule(faults);
  cluster.simulator.run({ untilMicros });
  return { cluster, nemesis };
}

describe('nemesis: a restart that fails to boot', () => {
  const scenario = (knob: string) => `
name: restart-fails
seed: 5
duration: 14s
quiescence: 5s
cluster: { nodes: 5, vnodes: 16, n: 3, r: 2, w: 2, storage: { memtableBytes: 4KiB } }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.5 } }
workload: { rate: 50, clients: 5, keys: 30, mix: { get: 0.5, put: 0.5 }, valueBytes: { min: 16, max: 32 } }
faults:
  - { at: 1s, disk: { nodes: [n1], ${knob}: 1 } }
  - { at: 2s, crash: { nodes: [n1] } }
  - { at: 3s, restart: { nodes: [n1] } }
  - { at: 4s, disk: { nodes: [n1], ${knob}: 0 } }
checks: [lost-writes, convergence]
`;

  it.each(['syncFaultProbability', 'writeFaultProbability'])('is logged with its error, keeps the node down (fault window open, no heal), and the final heal brings it back (%s 1.0)', (knob) => {
    const result = run(scenario(knob));
    // Said in the log, naming the node and the error, and in the figures.
    expect(actions(result).some((a) => /^restart of n1 failed: .*injected .*failure.*n1 stays down/.test(a)), actions(result).join(' | ')).toBe(true);
    expect(result.figures.restarts.failed).toHaveLength(1);
    expect(result.figures.restarts.failed[0]).toMatchObject({ node: 'n1' });
    expect(result.figures.restarts.failed[0]!.atSeconds).toBeGreaterThanOrEqual(3);
    // Down from 2 s until the end of the fault schedule (9 s): the window did not close when the boot failed,
    // nor when its disk faults were cleared at 4 s, and the heal time is the final heal's.
    expect(result.figures.availability.faultSeconds).toBeCloseTo(8, 6);
    expect(checkOf(result, 'convergence').figures.healTime).toBe(9_000_000);
    // The final heal retried it on a healthy disk: every member runs at the end.
    expect(result.figures.restarts.downAtEnd).toEqual([]);
    expect(result.figures.load?.nodes).toBe(5);
  });

  it('a node that cannot boot even at the final heal is reported down to the end', () => {
    // Its disk fails every fsync through no fault of the nemesis's (so the final heal has nothing to clear).
    const { cluster, nemesis } = playFaults([{ at: 1_000_000, crash: { nodes: ['n1'] } }], 1_500_000);
    cluster.world.machine('n1').disk.setFaults({ syncFaultProbability: 1 });
    nemesis.healAll();
    nemesis.closeWindows();
    cluster.simulator.run({ untilMicros: 3_000_000 });
    expect(nemesis.log.map((e) => e.action)).toContainEqual(expect.stringMatching(/^restart of n1 failed: disk sync failed .*; n1 stays down to the end of the run$/));
    expect(nemesis.downNodes).toEqual(['n1']);
    expect(nemesis.failedRestarts.map((r) => r.node)).toEqual(['n1']);
    expect(nemesis.faultWindows).toEqual([{ start: 1_000_000, end: 1_500_000 }]);
  });
});

describe('nemesis: only a fault that ends is a heal', () => {
  const scenario = (faults: string) => `
name: lastheal
seed: 3
duration: 16s
quiescence: 6s
cluster: { nodes: 5, vnodes: 16, n: 3, r: 2, w: 2, hintedHandoff: false, readRepair: false, antiEntropyInterval: 5s }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.5 } }
workload: { rate: 60, clients: 5, keys: 30, mix: { get: 0.3, put: 0.7 }, valueBytes: { min: 16, max: 32 }, stopAt: 4s }
faults:
  - { at: 1s, partition: { isolate: n2 } }
  - { at: 3s, heal: true }
${faults}
checks: [{ convergence: { threshold: 9s } }]
`;

  it('a restart of a node that is not down, or a second heal, leaves the heal time and the verdict alone', () => {
    const plain = checkOf(run(scenario('')), 'convergence');
    expect(plain.figures.healTime).toBe(3_000_000);
    for (const extra of ['  - { at: 3.9s, restart: { nodes: [n3] } }', '  - { at: 3.9s, heal: true }', '  - { at: 3.9s, restart: all }']) {
      const result = run(scenario(extra));
      const check = checkOf(result, 'convergence');
      expect(check.figures.healTime, extra).toBe(3_000_000);
      expect(check.verdict, extra).toBe(plain.verdict);
      expect(check.summary, extra).toBe(plain.summary);
      expect(result.figures.availability.faultSeconds, extra).toBeCloseTo(2, 6);
    }
  });

  it('logs what had nothing to do', () => {
    const { nemesis } = playFaults([
      { at: 1_000_000, crash: { nodes: ['n1'] } },
      { at: 2_000_000, restart: { nodes: ['n1', 'n3'] } },
      { at: 3_000_000, restart: { nodes: ['n4'] } },
      { at: 3_100_000, restart: 'all' },
      { at: 3_200_000, heal: true },
    ], 4_000_000);
    expect(nemesis.log.map((e) => e.action)).toEqual([
      'crash 1 (drop-unsynced): n1',
      'restart n1; nothing to restart on n3 (not down)',
      'restart: nothing to restart on n4 (not down)',
      'restart all: no node is down',
      'heal network: nothing was partitioned',
    ]);
    expect(nemesis.lastHealMicros).toBe(2_000_000);
    expect(nemesis.faultWindows).toEqual([{ start: 1_000_000, end: 2_000_000 }]);
  });
});

describe('nemesis: a fraction never rounds to every node, nor to none', () => {
  it('a partition by fraction 0.9 of 5 cuts off 4 (one stays on the other side), and traffic is stopped', () => {
    const { cluster, nemesis } = playFaults([{ at: 1_000_000, partition: { fraction: 0.9 } }], 1_500_000);
    const entry = nemesis.log[0]!.action;
    expect(entry).toMatch(/^partition: 4 of 5 nodes \(80 %\) cut off; fraction 0.9 rounds to all 5, at least one stays on the other side: /);
    expect(cluster.network.partitioned).toBe(true);
    const cut = entry.split(': ').at(-1)!.split(', ');
    const other = cluster.ids.filter((id) => !cut.includes(id));
    expect(other).toHaveLength(1);
    expect(cluster.network.isBlocked(cluster.ids.indexOf(cut[0]!), cluster.ids.indexOf(other[0]!))).toBe(true);
  });

  it('a crash by fraction 0.9 of 5 crashes 4 and leaves one running; a count may crash them all', () => {
    const { cluster, nemesis } = playFaults([{ at: 1_000_000, crash: { fraction: 0.9 } }], 1_500_000);
    expect(nemesis.log[0]!.action).toMatch(/^crash 4 \(drop-unsynced\) \(fraction 0.9 of 5 running rounds to 5, at least one stays up\): /);
    expect(cluster.upNodes()).toHaveLength(1);
    const byCount = playFaults([{ at: 1_000_000, crash: { count: 5 } }], 1_500_000);
    expect(byCount.cluster.upNodes()).toHaveLength(0);
  });

  it('a fraction that rounds to 0 still cuts off or crashes one node; with one running member a crash by fraction is skipped', () => {
    const partition = playFaults([{ at: 1_000_000, partition: { fraction: 0.01 } }], 1_500_000);
    expect(partition.nemesis.log[0]!.action).toMatch(/^partition: 1 of 5 nodes \(20 %\) cut off; fraction 0.01 rounds to 0, at least one is cut off: n\d$/);
    const crash = playFaults([{ at: 1_000_000, crash: { fraction: 0.01 } }], 1_500_000);
    expect(crash.nemesis.log[0]!.action).toMatch(/^crash 1 \(drop-unsynced\) \(fraction 0.01 of 5 running rounds to 0, at least one crashes\): n\d$/);
    expect(crash.cluster.upNodes()).toHaveLength(4);
    const last = playFaults([{ at: 1_000_000, crash: { count: 4 } }, { at: 2_000_000, crash: { fraction: 0.5 } }], 2_500_000);
    expect(last.nemesis.log[1]!.action).toBe('crash: fraction 0.5 skipped: 1 ring member running, a fraction never crashes the last');
    expect(last.cluster.upNodes()).toHaveLength(1);
  });
});

describe('nemesis: a loss burst can only add loss', () => {
  it('a burst below the base loss rate leaves the rate at the base and is no fault', () => {
    const { cluster, nemesis } = playFaults([{ at: 1_000_000, loss: { probability: 0.01, for: 4_000_000 } }], 2_000_000, { loss: 0.05 });
    expect(cluster.network.defaultConditions.lossProbability).toBe(0.05);
    expect(nemesis.faultWindows).toEqual([]);
    expect(nemesis.log[0]!.action).toBe('loss burst: 1 % for 4 s skipped: not above the base loss (5 %)');
    cluster.simulator.run({ untilMicros: 6_000_000 });
    expect(cluster.network.defaultConditions.lossProbability).toBe(0.05);
    expect(nemesis.lastHealMicros).toBe(0);
  });

  it('a burst above the base raises it for its length, then the base returns', () => {
    const { cluster, nemesis } = playFaults([{ at: 1_000_000, loss: { probability: 0.3, for: 2_000_000 } }], 2_000_000, { loss: 0.05 });
    expect(cluster.network.defaultConditions.lossProbability).toBe(0.3);
    cluster.simulator.run({ untilMicros: 4_000_000 });
    expect(cluster.network.defaultConditions.lossProbability).toBe(0.05);
    expect(nemesis.faultWindows).toEqual([{ start: 1_000_000, end: 3_000_000 }]);
  });
});

describe('nemesis: a node whose storage failed stays faulty until it is restarted', () => {
  const scenario = (faults: string) => `
name: disk-after
seed: 1
duration: 12s
quiescence: 4s
cluster: { nodes: 5, vnodes: 16, n: 3, r: 2, w: 2 }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.5 } }
workload: { rate: 100, clients: 5, keys: 20, mix: { get: 0.5, put: 0.5 }, valueBytes: { min: 16, max: 32 } }
faults:
  - { at: 1s, disk: { nodes: [n1], syncFaultProbability: 0.5 } }
  - { at: 2s, disk: { nodes: [n1], syncFaultProbability: 0 } }
${faults}
checks: [lost-writes, convergence]
`;

  it('clearing the disk fault is no heal: the window stays open, and the final heal restarts the node', () => {
    const result = run(scenario(''));
    const log = actions(result);
    expect(log).toContain("storage failed on n1 (disk sync failed on '000001.log': injected fsync failure (EIO)): faulty until restarted");
    expect(log.some((a) => a.startsWith('restart n1: its storage failed (') && a.endsWith('restarted on a healthy disk'))).toBe(true);
    // Faulty from 1 s to the end of the fault schedule (8 s), and the heal is the final one.
    expect(result.figures.availability.faultSeconds).toBeCloseTo(7, 6);
    expect(checkOf(result, 'convergence').figures.healTime).toBe(8_000_000);
    // Its refused writes count during faults: outside them every request was served.
    expect(result.figures.availability.outsideFaults).toBe(1);
    expect(checkOf(result, 'lost-writes').verdict).toBe('ok');
  });

  it('a restart naming it ends the fault (it is stopped and booted afresh)', () => {
    const result = run(scenario('  - { at: 3s, restart: { nodes: [n1] } }'));
    const log = actions(result);
    expect(log.some((a) => /^restart n1 \(storage failed on n1: disk sync failed on .*\)$/.test(a)), log.join(' | ')).toBe(true);
    expect(result.figures.availability.faultSeconds).toBeCloseTo(2, 6);
    expect(checkOf(result, 'convergence').figures.healTime).toBe(3_000_000);
    expect(result.figures.restarts).toEqual({ failed: [], downAtEnd: [] });
  });
});
