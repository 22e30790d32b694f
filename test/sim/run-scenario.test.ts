import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';
import { runScenario } from '../../sim/run-scenario';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';
import { scenarioSchema, type Scenario } from '../../sim/scenario/schema';
import { spreadIndexes } from '../../sim/workload';
import { expandVariants } from '../../sim/variants';

const root = resolve(__dirname, '../..');

/** A small scenario, overridable field by field. */
function scenario(overrides: Record<string, unknown> = {}): Scenario {
  const base = {
    name: 'test',
    seed: 1,
    duration: '12s',
    quiescence: '4s',
    cluster: { nodes: 5, vnodes: 16, n: 3, r: 2, w: 2, conflict: 'vclock' },
    workload: { rate: 100, clients: 8, keys: 30, mix: { get: 0.5, put: 0.5 } },
    checks: ['lost-writes', 'stale-reads', 'session', 'siblings', 'convergence'],
  };
  const merged = { ...base, ...overrides, cluster: { ...base.cluster, ...(overrides.cluster as object) }, workload: { ...base.workload, ...(overrides.workload as object) } };
  return scenarioSchema.parse(merged);
}

const verdictOf = (result: ReturnType<typeof runScenario>['result'], checker: string) => {
  const check = result.checks.find((c) => c.checker === checker);
  if (check === undefined) throw new Error(`no ${checker} result`);
  return check;
};

describe('sim run: the scenario runner', () => {
  it('a healthy cluster passes every check and reports its figures', () => {
    const { result, history } = runScenario(scenario({ faults: [{ at: '3s', partition: { isolate: 'n1' } }, { at: '6s', heal: true }] }));
    expect(result.verdict, JSON.stringify(result.checks.map((c) => [c.checker, c.summary]))).toBe('ok');
    expect(result.figures.operations.completed).toBeGreaterThan(500);
    expect(result.figures.latency.get.p50Ms).toBeGreaterThan(0);
    expect(result.figures.availability.duringFaults).not.toBeNull();
    expect(result.figures.finalDivergentKeys).toBe(0);
    // The final read phase is counted apart: operations are the workload's own completions only.
    const finalReads = history.events.filter((e) => e.final && e.type !== 'invoke').length;
    expect(finalReads).toBeGreaterThan(0);
    expect(result.figures.finalReads.ok + result.figures.finalReads.fail).toBe(finalReads);
    expect(result.figures.operations.completed).toBe(history.events.filter((e) => !e.final && e.type !== 'invoke').length);
    expect(result.figures.latency.get.count + result.figures.latency.put.count).toBe(history.events.filter((e) => !e.final && e.type === 'ok').length);
    expect(result.nemesis.map((n) => n.action)).toEqual(['partition: isolate n1', 'heal network']);
  });

  it('retries a final read that fails, so a lossy network still gets every key judged', () => {
    // 15 % message loss: an R = N read needs six messages through, so about 60 % of first attempts fail.
    const { result, history } = runScenario(scenario({ network: { loss: 0.15 } }));
    const finals = history.events.filter((e) => e.final && e.type !== 'invoke');
    const failedKeys = new Set(finals.filter((e) => e.type === 'fail').map((e) => e.key));
    const okKeys = new Set(finals.filter((e) => e.type === 'ok').map((e) => e.key));
    expect(result.figures.finalReads.fail).toBeGreaterThan(0);
    expect([...failedKeys].filter((key) => okKeys.has(key)).length).toBeGreaterThan(0); // failed, retried, then read
    expect(okKeys.size).toBe(new Set(finals.map((e) => e.key)).size);
    expect(verdictOf(result, 'lost-writes').verdict).toBe('ok');
    expect(verdictOf(result, 'lost-writes').summary).not.toMatch(/skipped/);
  });

  it('issues the same requests at the same times whatever the store does with them (for sim compare)', () => {
    // Read-modify-writes and cas draw nothing after their read returns, and a shed arrival draws like any
    // other, so lww and vclock — and an overloaded variant that sheds — see one request stream.
    const faults = [{ at: '3s', partition: { isolate: 'n1' } }, { at: '6s', heal: true }];
    const workload = { rate: 400, clients: 6, readModifyWrite: 0.5, mix: { get: 0.4, put: 0.3, delete: 0.1, cas: 0.2 } };
    const stream = (run: ReturnType<typeof runScenario>) => run.requests.map((r) => `${r.time} ${r.key}`).sort();
    const lww = runScenario(scenario({ faults, workload, cluster: { conflict: 'lww' } }));
    const vclock = runScenario(scenario({ faults, workload }));
    const slow = runScenario(scenario({ faults, workload, network: { latency: { kind: 'fixed', ms: 20 } } }));
    expect(slow.result.figures.operations.shed).toBeGreaterThan(100);
    expect(vclock.result.traceHash).not.toBe(lww.result.traceHash);
    expect(stream(lww).length).toBe(lww.result.figures.operations.arrivals);
    expect(stream(vclock)).toEqual(stream(lww));
    expect(stream(slow)).toEqual(stream(lww));
  });

  it('availability counts client requests by when they arrived: a cas conflict is served, a shed request is not', () => {
    // No faults, three hot keys, mostly cas: conflicts are the store answering no, not the store being away.
    const cas = runScenario(scenario({ workload: { keys: 3, mix: { get: 0.2, put: 0.1, cas: 0.7 } } }));
    expect(cas.result.figures.casConflicts).toBeGreaterThan(10);
    expect(cas.result.figures.availability.outsideFaults).toBe(1);
    // N = R = W = 1, strict quorum, no hints: while n1 is down exactly the keys it owns are unavailable.
    const down = runScenario(scenario({
      cluster: { nodes: 3, n: 1, r: 1, w: 1, sloppyQuorum: false, hintedHandoff: false },
      workload: { keys: 30, rate: 100, clients: 50, readModifyWrite: 0.5, mix: { get: 0.5, put: 0.5 } },
      faults: [{ at: '3s', crash: { nodes: ['n1'] } }, { at: '7s', restart: { nodes: ['n1'] } }],
    }));
    const cluster = new SimCluster({ seed: 1, nodes: 3, vnodes: 16, n: 1, r: 1, w: 1 });
    const during = down.requests.filter((r) => r.time >= 3_000_000 && r.time < 7_000_000);
    const ownedByN1 = during.filter((r) => cluster.owners(r.key)[0] === 'n1');
    expect(ownedByN1.length).toBeGreaterThan(50);
    expect(ownedByN1.every((r) => !r.served)).toBe(true);
    expect(during.filter((r) => cluster.owners(r.key)[0] !== 'n1').every((r) => r.served)).toBe(true);
    expect(down.result.figures.availability.duringFaults).toBeCloseTo((during.length - ownedByN1.length) / during.length, 6);
  });

  it('a request whose coordinator crashed mid-way is given up on by its client, counted and completed in the history', () => {
    // Found by a review: such a request was never answered, so it was missing from availability, its client
    // stayed busy for the rest of the run, and its key counted as written to for ever (never sampled).
    const text = readFileSync(join(root, 'scenarios/quickstart.yaml'), 'utf8')
      .replace('  - at: 10s\n    partition: { isolate: n2 }\n  - at: 20s\n    heal: true', '  - at: 10s\n    crash: { nodes: [n2] }\n  - at: 20s\n    restart: all')
      .replace('rate: 200 ', 'rate: 3000 ').replace('clients: 20', 'clients: 100').replace('duration: 40s', 'duration: 32s').replace('quiescence: 10s', 'quiescence: 8s');
    const run = runScenario(loadScenario(text, 'crash.yaml'));
    expect(run.requests.length).toBe(run.result.figures.operations.arrivals);
    const open = new Map<number, unknown>();
    for (const e of run.history.events) if (e.type === 'invoke') open.set(e.process, e); else open.delete(e.process);
    expect([...open.values()]).toEqual([]);
    const gaveUp = run.history.events.filter((e) => e.type !== 'invoke' && typeof e.error === 'string' && e.error.includes('the client gave up'));
    expect(gaveUp.length).toBeGreaterThan(0);
    expect(gaveUp.every((e) => (e.f === 'get' ? e.type === 'fail' : e.type === 'info'))).toBe(true);
  });

  it('convergence samples spread over every written key, and over the rounds reach each of them', () => {
    const first = spreadIndexes(450, 300, 0);
    expect(first).toHaveLength(300);
    expect(Math.max(...first)).toBeGreaterThan(440); // a whole stride of 1 stopped at index 299
    expect(new Set(first).size).toBe(300);
    const seen = new Set<number>();
    for (let round = 0; round < 40; round++) for (const i of spreadIndexes(1199, 300, round)) seen.add(i);
    expect(seen.size).toBe(1199);
    expect(spreadIndexes(10, 300, 3)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('replays byte for byte from its seed, and another seed differs', () => {
    const a = runScenario(scenario({ faults: [{ at: '2s', crash: { count: 1 } }, { at: '5s', restart: 'all' }] }));
    const b = runScenario(scenario({ faults: [{ at: '2s', crash: { count: 1 } }, { at: '5s', restart: 'all' }] }));
    expect(b.result.traceHash).toBe(a.result.traceHash);
    expect(b.history.toJsonLines()).toBe(a.history.toJsonLines());
    const c = runScenario(scenario({ faults: [{ at: '2s', crash: { count: 1 } }, { at: '5s', restart: 'all' }] }), { seed: 2 });
    expect(c.result.traceHash).not.toBe(a.result.traceHash);
  });

  it('hint figures add up: every hint created ends delivered, expired or pending', () => {
    const { result } = runScenario(scenario({ faults: [{ at: '2s', partition: { isolate: 'n1' } }, { at: '6s', heal: true }] }));
    const hints = result.figures.hints;
    expect(hints.stored).toBeGreaterThan(0);
    // 30 keys and 4 s of isolation: most hinted writes land on a key whose hint is still waiting
    expect(hints.refreshed).toBeGreaterThan(0);
    expect(hints.stored - hints.refreshed).toBe(hints.delivered + hints.expired + hints.rehomed + hints.pendingAtEnd);
  });

  it('figures keep what a crashed incarnation counted', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 3, vnodes: 8 });
    for (let i = 0; i < 5; i++) expect(cluster.awaitPut('n0', `k${i}`, `v${i}`).status).toBe('ok');
    const before = cluster.counterTotals();
    expect(before.writesCoordinated + before.writesForwarded).toBeGreaterThanOrEqual(5);
    cluster.crash('n0');
    cluster.restart('n0');
    cluster.simulator.run({ untilMicros: cluster.simulator.nowMicros + 100_000 });
    expect(cluster.node('n0')?.counters.replicaWrites).toBe(0); // the new incarnation counts from zero
    expect(cluster.counterTotals()).toEqual(before);
  });

  it('writes a Jepsen-style history: every invoke completes, times are ordered', () => {
    const { history } = runScenario(scenario());
    const open = new Map<number, string>();
    let lastTime = 0;
    for (const event of history.events) {
      expect(event.time).toBeGreaterThanOrEqual(lastTime);
      lastTime = event.time;
      if (event.type === 'invoke') {
        expect(open.has(event.process)).toBe(false);
        open.set(event.process, event.f);
      } else {
        expect(open.get(event.process)).toBe(event.f);
        open.delete(event.process);
      }
    }
    expect(open.size).toBe(0);
  });
});

describe('each checker catches the store broken on purpose', () => {
  it('stale-reads: R=1 W=1 on slow, jittery links serves stale data (and R=W=2 does not)', () => {
    const network = { latency: { kind: 'uniform', minMs: 1, maxMs: 30 }, reorder: true };
    const broken = runScenario(scenario({ network, cluster: { r: 1, w: 1, readRepair: false }, workload: { readModifyWrite: 1 } }));
    expect(verdictOf(broken.result, 'stale-reads').verdict).toBe('fail');
    const healthy = runScenario(scenario({ network, cluster: { r: 2, w: 2, readRepair: false }, workload: { readModifyWrite: 1 } }));
    expect(verdictOf(healthy.result, 'stale-reads').verdict).toBe('ok');
  });

  it('lost-writes: acknowledging before fsync loses writes when every node loses power (fsync first does not)', () => {
    const faults = [{ at: '4s', crash: { count: 5 }, mode: 'tear-unsynced' }, { at: '4500ms', restart: 'all' }];
    const slowDisk = { kind: 'fixed', ms: 20 };
    const broken = runScenario(scenario({ faults, cluster: { storage: { syncWrites: false, syncLatency: slowDisk } }, workload: { rate: 300, mix: { get: 0.2, put: 0.8 } } }));
    expect(verdictOf(broken.result, 'lost-writes').verdict).toBe('fail');
    const healthy = runScenario(scenario({ faults, cluster: { storage: { syncWrites: true, syncLatency: slowDisk } }, workload: { rate: 300, mix: { get: 0.2, put: 0.8 } } }));
    expect(verdictOf(healthy.result, 'lost-writes').verdict).toBe('ok');
  });

  it('lww-lost-overwrites: last-writer-wins under 80 ms skew silently drops acknowledged writes', () => {
    // Two clocks ahead, so every key (3 owners of 5 nodes) has a fast owner coordinating some of its writes.
    const skewed = { clocks: { nodes: { n1: { offsetMs: 80 }, n2: { offsetMs: 40 } } }, workload: { distribution: 'hot', hotFraction: 0.9, keys: 3, rate: 400, clients: 20, mix: { get: 0.3, put: 0.7 } } };
    const lww = runScenario(scenario({ ...skewed, cluster: { conflict: 'lww' }, checks: ['lww-lost-overwrites', 'lost-writes'] }));
    expect(verdictOf(lww.result, 'lww-lost-overwrites').verdict).toBe('fail');
    expect(verdictOf(lww.result, 'lww-lost-overwrites').figures.lostOverwrites).toBeGreaterThan(0);
    const vclock = runScenario(scenario({ ...skewed, cluster: { conflict: 'vclock' }, checks: ['lost-writes', 'lww-lost-overwrites'] }));
    expect(verdictOf(vclock.result, 'lost-writes').verdict).toBe('ok');
    expect(verdictOf(vclock.result, 'lww-lost-overwrites').summary).toMatch(/^vector clocks: /);
    // Under vector clocks the LWW rule does not apply: the quickstart's blind deletes (which supersede nothing,
    // by design) were counted as 10 lost writes.
    const quickstart = readFileSync(resolve(__dirname, '../../scenarios/quickstart.yaml'), 'utf8').replace(/^checks:[\s\S]*$/m, 'checks: [lost-writes, lww-lost-overwrites]\n');
    const run = runScenario(loadScenario(quickstart, 'quickstart.yaml'));
    expect(verdictOf(run.result, 'lost-writes').verdict).toBe('ok');
    expect(verdictOf(run.result, 'lww-lost-overwrites').verdict).toBe('ok');
  });

  it('convergence: with hints and read repair off, a partitioned owner never catches up', () => {
    const faults = [{ at: '2s', partition: { groups: [['n0', 'n1']] } }, { at: '5s', heal: true }];
    const broken = runScenario(scenario({ faults, cluster: { hintedHandoff: false, readRepair: false }, workload: { mix: { get: 0.1, put: 0.9 } } }));
    expect(verdictOf(broken.result, 'convergence').verdict).toBe('fail');
    const healthy = runScenario(scenario({ faults, cluster: { hintedHandoff: true, readRepair: false }, workload: { mix: { get: 0.1, put: 0.9 } } }));
    expect(verdictOf(healthy.result, 'convergence').verdict).toBe('ok');
  });

  it('convergence: a few divergent keys among thousands fail the run, whichever 300 a round happens to sample', () => {
    // Repair all off, 20 000 keys, an owner cut off for the last 100 ms of load: a handful of keys stay divergent
    // for ever. Rounds of 300 fresh keys read 0 by luck, and the run passed ("converged 10 s after heal") while
    // result.json said 18 keys still differed (found by the checker review). A key seen divergent is now looked
    // at again every round, and the last sample covers every written key.
    for (const seed of [5, 6]) {
      const { result } = runScenario(
        scenario({
          duration: '30s',
          quiescence: '10s',
          cluster: { vnodes: 64, sloppyQuorum: false, hintedHandoff: false, readRepair: false },
          workload: { rate: 400, clients: 16, keys: 20_000, mix: { put: 1 }, readModifyWrite: 0 },
          faults: [{ at: '19900ms', partition: { isolate: 'n4' } }],
          checks: ['convergence'],
        }),
        { seed },
      );
      const convergence = verdictOf(result, 'convergence');
      expect(convergence.verdict, `seed ${seed}: ${convergence.summary}`).toBe('fail');
      expect(convergence.summary).toMatch(/never converged: \d+ of \d+ sampled keys still divergent/);
      expect(convergence.figures.divergentAtEnd).toBeGreaterThan(0);
    }
  });

  it('convergence: a key re-checked because it was divergent is not counted while a write of it is in flight', () => {
    // Slow links (30 ms median), W = 1 on 30 hot keys: a re-checked key often has its next write still reaching
    // its last replica. Counted, that timed "convergence" by when the load stopped (3.5 s after the heal, not
    // 1.5 s; found by a review of the re-check). Several seeds: a write whose last copy went to a stand-in is
    // settled only a hint round later, and judged sooner it failed 7 of 12 seeds (one seed passed by luck).
    for (const seed of [1, 2, 3]) {
      const { result } = runScenario(
        scenario({
          duration: '24s',
          quiescence: '6s',
          cluster: { r: 1, w: 1, readRepair: false, requestTimeout: '500ms' },
          network: { latency: { kind: 'lognormal', medianMs: 30, sigma: 0.5 } },
          workload: { rate: 300, clients: 32, keys: 30, mix: { get: 0.1, put: 0.9 }, readModifyWrite: 0, valueBytes: { min: 8, max: 16 } },
          faults: [{ at: '2s', partition: { isolate: 'n1' } }, { at: '5s', heal: true }],
          checks: ['convergence'],
        }),
        { seed },
      );
      const convergence = verdictOf(result, 'convergence');
      expect(convergence.verdict, `seed ${seed}: ${convergence.summary}`).toBe('ok');
      // 30 keys under 270 writes a second are never settled while the load runs, so no sample can judge one
      // before it stops (18 s). That used to read as "converged ≤ 2 s after the heal", from samples that had
      // looked at no key (found by a checker review); agreement is timed from when the load stopped now.
      expect(convergence.summary).toMatch(/replicas agreed by [\d.]+ s after the load stopped .*every key was still being written/);
      expect(convergence.figures.afterLoadStopMicros).toBeLessThanOrEqual(3_000_000);
    }
  });

  it('a run shorter than the sampling interval still gets its final sample (no crash)', () => {
    const { result } = runScenario(scenario({ duration: '400ms', quiescence: '100ms', checks: ['convergence'] }));
    expect(verdictOf(result, 'convergence').figures.samples).toBe(1);
  });

  it('a write whose fsync failed is reported unknown, not failed: reads may show it, and that is no phantom', () => {
    // Found by a review: the replica refused it after applying it, the coordinator reported "fail" (certainly
    // not applied), and the phantom-read rule then failed every read of its value.
    const { result } = runScenario(
      scenario({
        cluster: { nodes: 3, n: 1, r: 1, w: 1, sloppyQuorum: false },
        workload: { rate: 100, clients: 8, keys: 20, mix: { get: 0.5, put: 0.5 }, readModifyWrite: 0 },
        faults: [{ at: '2s', disk: { nodes: ['n0'], syncFaultProbability: 0.3 } }],
        checks: ['stale-reads'],
      }),
    );
    const stale = verdictOf(result, 'stale-reads');
    expect(stale.figures.phantomReads, stale.summary).toBe(0);
    expect(result.figures.operations.info).toBeGreaterThan(0);
  });

  it('session: R=1 W=1 with jitter breaks read-your-writes or monotonic reads', () => {
    const network = { latency: { kind: 'uniform', minMs: 1, maxMs: 30 }, reorder: true };
    const broken = runScenario(scenario({ duration: '8s', quiescence: '3s', network, cluster: { r: 1, w: 1, readRepair: false }, workload: { keys: 3, rate: 300, mix: { get: 0.6, put: 0.4 }, readModifyWrite: 0 } }));
    expect(verdictOf(broken.result, 'session').verdict).toBe('fail');
    const healthy = runScenario(scenario({ duration: '8s', quiescence: '3s', network, cluster: { r: 2, w: 2, readRepair: false }, workload: { keys: 3, rate: 300, mix: { get: 0.6, put: 0.4 }, readModifyWrite: 0 } }));
    expect(verdictOf(healthy.result, 'session').verdict).toBe('ok');
  });

  it('siblings: concurrent blind writes under vector clocks exceed a limit of one sibling', () => {
    const { result } = runScenario(scenario({ workload: { readModifyWrite: 0, keys: 3 }, checks: [{ siblings: { maxSiblings: 1 } }] }));
    expect(verdictOf(result, 'siblings').verdict).toBe('fail');
  });

  it('cas-winners: racing conditional writes keep one winner per version, until a join has entry nodes disagree on the first owner', () => {
    // The per-key turns at the first owner hold while every entry node agrees who that is; while a join's ring
    // switch spreads, two owners each run a turn (found by a protocol review; the README says so).
    const hot = (faults: unknown[]) =>
      runScenario(scenario({ duration: '12s', quiescence: '3s', cluster: { spareNodes: 1, sloppyQuorum: false, ringGossipInterval: '1s' }, workload: { rate: 600, clients: 32, keys: 4, mix: { get: 0.3, cas: 0.7 } }, faults, checks: ['cas-winners'] }));
    const calm = verdictOf(hot([]).result, 'cas-winners');
    expect(calm.verdict, calm.summary).toBe('ok');
    expect(calm.figures.acknowledged).toBeGreaterThan(1000);
    const joining = verdictOf(hot([{ at: '2s', join: { node: 'n5' } }]).result, 'cas-winners');
    expect(joining.verdict).toBe('fail');
    expect(joining.figures.doubleWins).toBeGreaterThan(0);
  });

  it('linearizability: a single-copy store passes; N=3 with R=W=1 is caught', () => {
    const single = runScenario(scenario({ cluster: { nodes: 1, n: 1, r: 1, w: 1 }, workload: { keys: 5, rate: 60, mix: { get: 0.5, put: 0.4, cas: 0.1 }, readModifyWrite: 1 }, checks: ['linearizability'] }));
    expect(verdictOf(single.result, 'linearizability').verdict).toBe('ok');
    const network = { latency: { kind: 'uniform', minMs: 1, maxMs: 30 }, reorder: true };
    const replicated = runScenario(scenario({ network, cluster: { r: 1, w: 1, readRepair: false }, workload: { keys: 5, rate: 60, readModifyWrite: 1 }, checks: ['linearizability'] }));
    expect(verdictOf(replicated.result, 'linearizability').verdict).toBe('fail');
  });
});

describe('scenario files', () => {
  it('tombstone-grace: a replica cut off longer than the grace brings deleted values back; the default grace does not', () => {
    const file = join(root, 'scenarios', 'tombstone-grace.yaml');
    const base = loadScenario(readFileSync(file, 'utf8'), file);
    const [short, long] = expandVariants(base, ['grace=20s,240h']).map((variant) => runScenario(variant.scenario).result);
    expect(short!.verdict).toBe('fail');
    expect(verdictOf(short!, 'lost-writes').summary).toMatch(/acknowledged writes lost/);
    expect(verdictOf(short!, 'stale-reads').verdict).toBe('fail');
    expect(long!.verdict, JSON.stringify(long!.checks.map((c) => c.summary))).toBe('ok');
  });

  it('every shipped scenario validates', () => {
    const dir = join(root, 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      const parsed = loadScenario(readFileSync(join(dir, file), 'utf8'), file);
      expect(parsed.name).toBe(file.replace(/\.yaml$/, ''));
    }
  });

  it('a malformed scenario names the file, line, column and field', () => {
    const text = ['name: bad', 'duration: 10s', 'cluster:', '  nodes: 3', '  r: 5', 'workload:', '  rate: -1', 'faults:', '  - at: 2s', '    partition: { isolate: n9 }'].join('\n');
    let error: unknown;
    try {
      loadScenario(text, 'bad.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const message = (error as Error).message;
    expect(message).toMatch(/bad\.yaml:5:6: cluster\.r: r=5 cannot exceed n=3/);
    expect(message).toMatch(/bad\.yaml:7:9: workload\.rate/);
    // Once the shape is right, what would only fail once running is refused too, every problem at once.
    expect(() => loadScenario(text.replace('r: 5', 'r: 2').replace('rate: -1', 'rate: 10'), 'bad.yaml')).toThrow(
      /bad\.yaml:2:11: quiescence: quiescence \(10 s\) must be shorter than duration \(10 s\)[^\n]*\n\s*bad\.yaml:10:27: faults\.0\.partition\.isolate: unknown node 'n9' \(nodes are n0\.\.n2\)/,
    );
    // A scenario built in code is checked by the runner before anything runs.
    const built = scenario({ faults: [{ at: '2s', partition: { isolate: 'n9' } }] });
    expect(() => runScenario(built)).toThrow(ScenarioError);
    expect(() => runScenario(built)).toThrow(/faults\.0\.partition\.isolate: unknown node 'n9'/);
  });
});
