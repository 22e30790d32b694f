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

  it('times membership changes in true time, whatever the nodes\' clocks say', () => {
    // n5 runs 30 s behind and n1 10 s ahead: the figures used to be each node's own reading (n5's join at
    // −22 s). They are now mapped back to simulated time through each machine's clock.
    const skewed = loadScenario(text.replace(/^clocks:.*$/m, '').replace('faults:', 'clocks:\n  nodes: { n5: { offsetMs: -30000 }, n1: { offsetMs: 10000, driftPpm: 500 } }\nfaults:'), 'skewed.yaml');
    expect(skewed.clocks.nodes['n5']?.offsetMs).toBe(-30_000);
    const m = runScenario(skewed).result.figures.membership!;
    const at = Object.fromEntries(m.changes.map((c) => [`${c.kind} ${c.node}`, c]));
    expect(at['join n5']!.atSeconds).toBeCloseTo(8, 1);
    expect(at['leave n1']!.atSeconds).toBeCloseTo(25, 1);
    for (const change of m.changes) expect(change.totalSeconds!).toBeGreaterThan(0);
    expect(m.ringConvergedAfterSeconds!).toBeGreaterThanOrEqual(0);
    expect(m.ringConvergedAfterSeconds!).toBeLessThan(10);
  });

  it('same seed, same trace hash', () => {
    expect(runScenario(scenario).result.traceHash).toBe(result.traceHash);
  });

  it('a scenario without membership changes has no membership figures (and no ring gossip)', () => {
    const { ringGossipInterval: _unused, ...cluster } = scenario.cluster;
    const plain = { ...scenario, duration: 20_000_000, cluster: { ...cluster, spareNodes: 0 }, faults: [] };
    expect(runScenario(plain).result.figures.membership).toBeUndefined();
  });

  it('names an unknown node in a join or leave, with its line, before anything runs', () => {
    const bad = () => loadScenario(text.replace('join: { node: n5 }', 'join: { node: n9 }'), 'bad.yaml');
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/bad\.yaml:\d+:\d+: faults\.0\.join\.node: unknown node 'n9' \(nodes are n0..n5\)/);
  });

  it('refuses, when the file loads, a join of a member and a leave of a node that is not one', () => {
    const refused = (edited: string) => {
      try {
        loadScenario(edited, 'jl.yaml');
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(ScenarioError);
        return (error as Error).message;
      }
    };
    expect(refused(text.replace('join: { node: n5 }', 'join: { node: n3 }'))).toMatch(/jl\.yaml:\d+:\d+: faults\.0\.join\.node: n3 is already a ring member .*spare machines are n5\.\.n5/);
    expect(refused(text.replace('leave: { node: n1 }', 'leave: { node: n5 }').replace('join: { node: n5 }', 'leave: { node: n2 }'))).toMatch(
      /faults\.1\.leave\.node: n5 is not a ring member at 25 s/,
    );
    expect(refused(text.replace('join: { node: n5 }', 'leave: { node: n1 }'))).toMatch(/faults\.1\.leave\.node: n1 already leaves at faults\.0/);
    // A leave that would take the ring below N (5 members, n = 5: nobody may leave before n5 joins).
    expect(refused(text.replace(/^  n: 3$/m, '  n: 5').replace(/^  r: 2$/m, '  r: 3').replace(/^  w: 2$/m, '  w: 3').replace('at: 25s', 'at: 5s'))).toMatch(
      /jl\.yaml:\d+:\d+: faults\.1\.leave\.node: n1 leaving at 5 s would leave 4 ring members, fewer than n = 5 replicas per key/,
    );
    expect(refused(text.replace('ringGossipInterval: 200ms', 'ringGossipInterval: 0s'))).toMatch(/cluster\.ringGossipInterval: spare nodes need ring gossip/);
  });
});

/**
 * Joins and leaves under faults, from a protocol review's reproductions: each lost acknowledged writes or left
 * replicas divergent before the fix it names, and the same file without the membership change passed.
 */
describe('membership changes under faults', () => {
  const file = (body: string) => loadScenario(`name: membership-under-faults\nseed: 1\n${body}`, 'membership-under-faults.yaml');
  const verdicts = (body: string, seed: number) =>
    Object.fromEntries(runScenario(file(body), { seed }).result.checks.map((c) => [c.checker, `${c.verdict}: ${c.summary}`]));

  it('a join pulls from every old replica: a version only the isolated one holds survives (hints off)', () => {
    // n0 took W = 1 writes alone while isolated; n5 joins at the heal and displaces it on some arcs. Copying
    // each arc from one replica left those versions on n0, which anti-entropy no longer pairs with anyone.
    const body = `duration: 40s
quiescence: 20s
cluster: { nodes: 5, spareNodes: 1, vnodes: 16, n: 3, r: 1, w: 1, sloppyQuorum: false, hintedHandoff: false, readRepair: false, antiEntropyInterval: 3s, ringGossipInterval: 200ms }
workload: { rate: 300, clients: 16, keys: 300, mix: { put: 1 }, readModifyWrite: 0 }
faults:
  - { at: 5s, partition: { isolate: n0 } }
  - { at: 10s, heal: true }
  - { at: 10s, join: { node: n5 } }
checks: [lost-writes, convergence]`;
    for (const seed of [2, 4]) expect(verdicts(body, seed), `seed ${seed}`).toMatchObject({ 'lost-writes': expect.stringMatching(/^ok/), convergence: expect.stringMatching(/^ok/) });
  });

  it('at N = 1 with a lossy network, a join and a leave keep every acknowledged write (catch-up pass, hints re-homed)', () => {
    const body = (change: string) => `duration: 30s
quiescence: 8s
cluster: { nodes: 4, spareNodes: 1, vnodes: 16, n: 1, r: 1, w: 1, ringGossipInterval: 200ms }
workload: { rate: 400, clients: 16, keys: 300, mix: { get: 0.3, put: 0.7 } }
faults:
  - { at: 6s, loss: { probability: 0.3, for: 6s } }
  - { at: 7s, ${change} }
checks: [lost-writes]`;
    expect(verdicts(body('join: { node: n4 }'), 1)['lost-writes']).toMatch(/^ok/);
    expect(verdicts(body('leave: { node: n1 }'), 2)['lost-writes']).toMatch(/^ok/);
  });

  it('hints waiting for a node that leaves go to the keys\' new owners, and the replicas converge', () => {
    const body = `duration: 45s
quiescence: 25s
cluster: { nodes: 6, vnodes: 16, n: 3, r: 2, w: 2, readRepair: false, ringGossipInterval: 200ms }
workload: { rate: 200, clients: 16, keys: 300, mix: { put: 1 }, readModifyWrite: 0 }
faults:
  - { at: 5s, partition: { isolate: n1 } }
  - { at: 15s, heal: true }
  - { at: 10s, leave: { node: n1 } }
checks: [lost-writes, convergence]`;
    const { result } = runScenario(file(body), { seed: 1 });
    expect(result.checks.map((c) => `${c.checker} ${c.verdict}`)).toEqual(['lost-writes ok', 'convergence ok']);
    expect(result.figures.hints.rehomed).toBeGreaterThan(0);
    expect(result.figures.hints.stored - result.figures.hints.refreshed).toBe(result.figures.hints.delivered + result.figures.hints.expired + result.figures.hints.rehomed + result.figures.hints.pendingAtEnd);
  });
  it('a member that leaves while isolated (N = 1) loses nothing: found by `dynalab check` once it drew leaves', () => {
    // The minimal case `dynalab check --runs 1500 --seed 3` shrank to on the code before the fixes above: 21 of 50
    // acknowledged writes lost.
    const body = `duration: 14s
quiescence: 5s
cluster: { nodes: 3, vnodes: 16, n: 1, r: 1, w: 1, sloppyQuorum: false, requestTimeout: 300ms, ringGossipInterval: 200ms, storage: { memtableBytes: 65536 } }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.6 } }
workload: { rate: 20, clients: 8, keys: 3, distribution: uniform, mix: { get: 0.45, put: 0.4, delete: 0.1, cas: 0.05 }, valueBytes: { min: 8, max: 64 }, readModifyWrite: 0.7 }
faults:
  - { at: 1s, partition: { isolate: n0 } }
  - { at: 1s, leave: { node: n0 } }
checks: [lost-writes]`;
    expect(verdicts(body, 0)['lost-writes']).toMatch(/^ok: all \d+ acknowledged writes/);
  });
  it('a hint offered by a stand-in with a stale ring is refused by a node that no longer owns the key', () => {
    // `dynalab check --runs 1500 --seed 7` (drawing joins): n3, cut off while n5 joined, took a write as a stand-in
    // and, after the heal, handed its hint to the key's old owner before gossip told it of n5. The old owner
    // took it and the hint was gone: the final read (at n5) lacked an acknowledged write.
    const body = `duration: 14s
quiescence: 5s
cluster: { nodes: 5, spareNodes: 1, vnodes: 16, n: 1, r: 1, w: 1, sloppyQuorum: true, requestTimeout: 300ms, ringGossipInterval: 200ms, storage: { memtableBytes: 65536 } }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.6 } }
workload: { rate: 20, clients: 8, keys: 3, distribution: uniform, mix: { get: 0.45, put: 0.4, delete: 0.1, cas: 0.05 }, valueBytes: { min: 8, max: 64 }, readModifyWrite: 0.7 }
faults:
  - { at: 3s, partition: { isolate: n3 } }
  - { at: 1s, partition: { isolate: n0 } }
  - { at: 1s, join: { node: n5 } }
checks: [lost-writes]`;
    expect(verdicts(body, 196085)['lost-writes']).toMatch(/^ok: all \d+ acknowledged writes/);
  });
  it('a join and a leave that overlap keep every write and end converged: the catch-up pass re-plans against the ring as it is', () => {
    // Found by a second membership review. n3, cut off, planned its pull while n0 still looked active, and n0
    // planned its push before anyone knew of n3: after the heal the arcs n3 took over from n0 were empty on n3
    // (N = 1: 25-46 acknowledged writes lost; N = 3, read repair off: 26 keys divergent for good). The catch-up
    // replayed those same plans; it now plans against the ring as it is when it runs.
    const body = (cluster: string) => `duration: 16s
quiescence: 6s
cluster: { ${cluster}, vnodes: 16, requestTimeout: 300ms, ringGossipInterval: 200ms }
workload: { rate: 60, clients: 8, keys: 1000, mix: { get: 0.45, put: 0.45, delete: 0.1 }, readModifyWrite: 0.7 }
faults:
  - { at: 2s, partition: { isolate: SPARE } }
  - { at: 5s, leave: { node: n0 } }
  - { at: 6s, join: { node: SPARE } }
checks: [lost-writes, convergence]`;
    const single = body('nodes: 3, spareNodes: 1, n: 1, r: 1, w: 1').replaceAll('SPARE', 'n3');
    expect(verdicts(single, 1)).toMatchObject({ 'lost-writes': expect.stringMatching(/^ok/), convergence: expect.stringMatching(/^ok/) });
    const triple = body('nodes: 4, spareNodes: 1, n: 3, r: 2, w: 2, readRepair: false').replaceAll('SPARE', 'n4');
    expect(verdicts(triple, 1)).toMatchObject({ 'lost-writes': expect.stringMatching(/^ok/), convergence: expect.stringMatching(/^ok/) });
  });

  it('two leaves a second apart through a loss burst keep every write (N = 1)', () => {
    // The second leaver planned while the first was still leaving and switched before the first's retried push
    // reached it: a key ended only on the two nodes that had left.
    const body = `duration: 16s
quiescence: 6s
cluster: { nodes: 3, spareNodes: 1, vnodes: 16, n: 1, r: 1, w: 1, sloppyQuorum: false, readRepair: false, antiEntropyInterval: 1s, requestTimeout: 300ms, ringGossipInterval: 200ms, storage: { memtableBytes: 64KiB } }
network: { latency: { kind: lognormal, medianMs: 0.5, sigma: 0.6 } }
workload: { rate: 10, clients: 8, keys: 6, mix: { get: 0.45, put: 0.45, delete: 0.1 }, valueBytes: { min: 8, max: 64 }, readModifyWrite: 0.7 }
faults:
  - { at: 8s, loss: { probability: 0.3, for: 1s } }
  - { at: 7s, leave: { node: n2 } }
  - { at: 8s, leave: { node: n0 } }
checks: [lost-writes]`;
    for (const seed of [4, 379129]) expect(verdicts(body, seed)['lost-writes'], `seed ${seed}`).toMatch(/^ok/);
  });
  it('a catch-up pass waits only for replicas of its arcs: not for a node that left and stopped, nor an unrelated one that is down', () => {
    // Found by a review of the re-planned catch-up: pulling from every node the ring state knows (left ones
    // included) and pushing to every member held a join's pass until a long-gone leaver came back, and a leave's
    // until an unrelated crashed node did.
    const changes = (body: string) => runScenario(file(body), { seed: 5 }).result.figures.membership!.changes;
    const join = changes(`duration: 60s
quiescence: 5s
cluster: { nodes: 5, spareNodes: 1, vnodes: 16, n: 3, r: 2, w: 2, ringGossipInterval: 200ms }
workload: { rate: 50, clients: 4, keys: 200, mix: { get: 0.5, put: 0.5 } }
faults:
  - { at: 3s, leave: { node: n1 } }
  - { at: 8s, crash: { nodes: [n1] } }
  - { at: 10s, join: { node: n5 } }
checks: [lost-writes]`).find((c) => c.kind === 'join')!;
    expect(join.caughtUpSeconds).not.toBeNull();
    expect(join.caughtUpSeconds!).toBeLessThan(5);
    const leave = changes(`duration: 40s
quiescence: 5s
cluster: { nodes: 12, vnodes: 2, n: 1, r: 1, w: 1, ringGossipInterval: 200ms }
workload: { rate: 50, clients: 4, keys: 200, mix: { get: 0.5, put: 0.5 } }
faults:
  - { at: 3s, leave: { node: n1 } }
  - { at: 4500ms, crash: { nodes: [n7] } }
checks: [lost-writes]`).find((c) => c.kind === 'leave')!;
    expect(leave.caughtUpSeconds!).toBeLessThan(5);
  });
  it('a joiner whose disk fails mid-join retries its pulls at the transfer pace, and finishes the join once restarted', () => {
    // Found by a review: every store on a failed engine fails, and the puller asked for the same batch again at
    // once, so source and joiner bounced it back and forth and the run never finished. The join cannot finish
    // while its storage is failed; the end of the fault schedule restarts n5 on a healthy disk, the restarted
    // node resumes its join and finishes it — one change in the figures (a fuzzer found the resumed join counted
    // as a second change, the first "never finished", and this test had enshrined that).
    const scenario = loadScenario(readFileSync('scenarios/join-leave.yaml', 'utf8').replace('join: { node: n5 }\n', 'join: { node: n5 }\n  - at: 8500ms\n    disk: { nodes: [n5], syncFaultProbability: 0.02 }\n'), 'joiner-disk.yaml');
    const { result } = runScenario(scenario, { seed: 1 });
    expect(result.figures.events).toBeLessThan(500_000);
    expect(result.nemesis.some((e) => /^restart n5: its storage failed/.test(e.action))).toBe(true);
    const joins = result.figures.membership!.changes.filter((c) => c.kind === 'join');
    expect(joins).toHaveLength(1);
    // Not in the ~1 s a healthy join takes here: only after the restart at the end of the fault schedule.
    expect(joins[0]!.totalSeconds).toBeGreaterThan(20);
    expect(result.checks.find((c) => c.checker === 'membership')!.verdict).toBe('ok');
    expect(result.checks.find((c) => c.checker === 'lost-writes')!.verdict).toBe('ok');
  });
});
