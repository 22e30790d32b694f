import { describe, expect, it } from 'vitest';
import { bytes, SimCluster, type SimClusterOptions } from '../../sim/cluster';
import { preferenceList } from '../../core/ring';
import { EventTag } from '../../sim/simulator';

/**
 * Dynamic membership on the simulator: a node joins or leaves a running 5-node cluster under a write load,
 * and the data follows. Each mechanism is then switched off to show the test notices.
 */

interface Load {
  /** key → the value whose write was acknowledged */
  acked: Map<string, string>;
  stop(): void;
}

/** Blind puts of fresh keys, one every `everyMicros`, through the members in turn. */
function writeLoad(cluster: SimCluster, prefix: string, everyMicros: number): Load {
  const acked = new Map<string, string>();
  let i = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const key = `${prefix}-${i}`;
    const value = `v-${i}`;
    const via = cluster.ids[i % 5]!;
    i++;
    cluster.put(via, key, value, {}, (result) => {
      if (result.status === 'ok') acked.set(key, value);
    });
    cluster.simulator.schedule(everyMicros, EventTag.Workload, tick);
  };
  tick();
  return { acked, stop: () => (stopped = true) };
}

function preload(cluster: SimCluster, count: number): Map<string, string> {
  const acked = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const result = cluster.awaitPut(cluster.ids[i % 5]!, `pre-${i}`, `p-${i}`);
    expect(result.status).toBe('ok');
    acked.set(`pre-${i}`, `p-${i}`);
  }
  return acked;
}

function runUntil(cluster: SimCluster, done: () => boolean, limitMicros = 120_000_000): void {
  const deadline = cluster.simulator.nowMicros + limitMicros;
  while (!done()) {
    if (cluster.simulator.nowMicros >= deadline) throw new Error('membership change did not finish in time');
    cluster.advance(100_000);
  }
}

/** Acknowledged writes that a read at R = N does not return. */
function unreadable(cluster: SimCluster, acked: Map<string, string>, via: string): string[] {
  const missing: string[] = [];
  for (const [key, value] of acked) {
    const read = cluster.awaitGet(via, key, { r: cluster.options.n ?? 3 });
    if (read.status !== 'ok' || !read.strings.includes(value)) missing.push(key);
  }
  return missing;
}

const base = (seed: number, extra: Partial<SimClusterOptions> = {}): SimClusterOptions => ({
  seed, nodes: 5, spareNodes: 1, n: 3, r: 2, w: 2, vnodes: 64, ringGossipIntervalMicros: 200_000, readRepair: false, ...extra,
});

function joinUnderLoad(options: SimClusterOptions) {
  const cluster = new SimCluster(options);
  const before = cluster.ring();
  const acked = preload(cluster, 400);
  const load = writeLoad(cluster, 'live', 5_000);
  cluster.advance(500_000);
  cluster.join('n5');
  const joiner = cluster.node('n5')!;
  runUntil(cluster, () => joiner.membership!.status === 'active' && cluster.ringConverged());
  cluster.advance(1_000_000);
  load.stop();
  cluster.advance(2_000_000);
  for (const [k, v] of load.acked) acked.set(k, v);
  return { cluster, before, acked, joiner, traceHash: cluster.simulator.traceHash() };
}

describe('a node joins a running 5-node cluster under a write load (vclock)', () => {
  const { cluster, before, acked, joiner, traceHash } = joinUnderLoad(base(11));
  const after = cluster.ring();
  const n = 3;

  it('ends with every node holding the same ring, the newcomer in it', () => {
    expect(cluster.ringConverged()).toBe(true);
    expect(after.nodes.map((x) => x.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    for (const id of cluster.ids) expect(cluster.node(id)!.ring.nodes.length).toBe(6);
  });

  it('every acknowledged write is readable afterwards (R = N)', () => {
    expect(acked.size).toBeGreaterThan(900);
    expect(unreadable(cluster, acked, 'n0')).toEqual([]);
  });

  it('keys move only to the newcomer; ≈ 1/(n+1) as primary, ≈ N/(n+1) as a replica', () => {
    let primary = 0;
    let replica = 0;
    for (const key of acked.keys()) {
      const old = preferenceList(before, bytes(key), n);
      const now = preferenceList(after, bytes(key), n);
      for (const node of now) if (!old.includes(node)) expect(node).toBe('n5');
      if (now[0] === 'n5') primary++;
      if (now.includes('n5')) replica++;
    }
    expect(primary / acked.size).toBeGreaterThan(1 / 6 - 0.07);
    expect(primary / acked.size).toBeLessThan(1 / 6 + 0.07);
    expect(replica / acked.size).toBeGreaterThan(0.5 - 0.12);
    expect(replica / acked.size).toBeLessThan(0.5 + 0.12);
  });

  it('the newcomer holds exactly the keys of its new ranges', () => {
    const wrong: string[] = [];
    for (const [key, value] of acked) {
      const owns = preferenceList(after, bytes(key), n).includes('n5');
      const holds = cluster.localValues('n5', key).includes(value);
      if (owns !== holds) wrong.push(`${key}: owns ${owns}, holds ${holds}`);
    }
    expect(wrong).toEqual([]);
    const change = joiner.membership!.changes[0]!;
    expect(change.kind).toBe('join');
    expect(change.keys).toBeGreaterThan(0);
    expect(change.finishedAtMicros).not.toBeNull();
  });

  it('same seed, same trace hash', () => {
    const again = joinUnderLoad(base(11));
    expect(again.traceHash).toBe(traceHash);
    expect(joinUnderLoad(base(12)).traceHash).not.toBe(traceHash);
  });
});

describe('a node leaves a running 5-node cluster under a write load (vclock)', () => {
  function leaveUnderLoad(options: SimClusterOptions) {
    const cluster = new SimCluster(options);
    const acked = preload(cluster, 400);
    const load = writeLoad(cluster, 'live', 5_000);
    cluster.advance(500_000);
    cluster.leave('n2');
    const leaver = cluster.node('n2')!;
    runUntil(cluster, () => leaver.membership!.status === 'left' && cluster.ringConverged());
    cluster.advance(1_000_000);
    load.stop();
    cluster.advance(2_000_000);
    for (const [k, v] of load.acked) acked.set(k, v);
    return { cluster, acked, leaver };
  }

  it('loses no acknowledged write, and the leaver is in no preference list afterwards', () => {
    const { cluster, acked, leaver } = leaveUnderLoad({ ...base(12), spareNodes: 0 });
    expect(cluster.ringMembers()).toEqual(['n0', 'n1', 'n3', 'n4']);
    for (const id of cluster.ids) expect(cluster.node(id)!.ring.nodes.map((x) => x.id)).not.toContain('n2');
    for (const key of acked.keys()) expect(cluster.owners(key)).not.toContain('n2');
    expect(unreadable(cluster, acked, 'n0')).toEqual([]);
    expect(leaver.membership!.changes[0]!.keys).toBeGreaterThan(0);
  });
});

describe('each mechanism switched off on purpose', () => {
  // N = R = W = 1: a key has one owner, so whatever the new owner lacks is simply gone from reads.
  const single = (seed: number, broken: SimClusterOptions['brokenMembership']): SimClusterOptions => ({ ...base(seed), n: 1, r: 1, w: 1, brokenMembership: broken });

  it('without the range transfer, reads of the moved keys miss their data (join)', () => {
    const good = joinUnderLoad(single(21, {}));
    expect(unreadable(good.cluster, good.acked, 'n0')).toEqual([]);
    const broken = joinUnderLoad(single(21, { skipTransfer: true }));
    const missing = unreadable(broken.cluster, broken.acked, 'n0');
    expect(missing.length).toBeGreaterThan(broken.acked.size / 12);
    for (const key of missing) expect(broken.cluster.owners(key)).toEqual(['n5']);
  });

  it('without writes to pending owners, writes that land after the copy are missing on the newcomer until its catch-up pass', () => {
    // Read through the newcomer the moment it switches: its catch-up pass (settle later) has not run yet.
    const atSwitch = (options: SimClusterOptions) => {
      const cluster = new SimCluster(options);
      preload(cluster, 400);
      const load = writeLoad(cluster, 'live', 5_000);
      cluster.advance(500_000);
      cluster.join('n5');
      const joiner = cluster.node('n5')!;
      runUntil(cluster, () => joiner.membership!.status === 'active');
      load.stop();
      const change = joiner.membership!.changes[0]!;
      expect(change.caughtUpAtMicros).toBeNull();
      const missingAtSwitch = unreadable(cluster, load.acked, 'n5');
      runUntil(cluster, () => change.caughtUpAtMicros !== null);
      return { missingAtSwitch, missingAfterCatchUp: unreadable(cluster, load.acked, 'n5') };
    };
    const good = atSwitch(single(22, {}));
    expect(good.missingAtSwitch).toEqual([]);
    const broken = atSwitch(single(22, { skipPendingWrites: true }));
    expect(broken.missingAtSwitch.length).toBeGreaterThan(0);
    // The catch-up pass brings what the lost (here: never sent) pending-owner copies carried (found by a
    // protocol review: with one such copy lost to a lossy network, N = 1 lost the acknowledged write for good).
    expect(broken.missingAfterCatchUp).toEqual([]);
  });

  it('a joiner restarted between its switch and its catch-up pass still runs the pass (it was kept durably)', () => {
    // Found by a review: the pass lived in a timer only, so a restart skipped it and the writes whose
    // pending-owner copies were lost (here: never sent) were lost for good at N = 1.
    const cluster = new SimCluster(single(25, { skipPendingWrites: true }));
    preload(cluster, 200);
    cluster.join('n5');
    const joiner = cluster.node('n5')!;
    runUntil(cluster, () => joiner.membership!.changes[0]!.transferStartedAtMicros !== 0);
    const load = writeLoad(cluster, 'live', 20);
    runUntil(cluster, () => joiner.membership!.status === 'active');
    load.stop();
    cluster.advance(20_000);
    expect(joiner.membership!.changes[0]!.caughtUpAtMicros).toBeNull();
    const lacking = [...load.acked].filter(([key, value]) => cluster.owners(key).includes('n5') && !cluster.localValues('n5', key).includes(value));
    expect(lacking.length).toBeGreaterThan(0);
    cluster.crash('n5');
    cluster.advance(10_000);
    cluster.restart('n5');
    cluster.advance(20_000_000);
    expect(unreadable(cluster, load.acked, 'n0')).toEqual([]);
    const [change] = cluster.membershipChanges('n5');
    expect(change).toMatchObject({ kind: 'join', node: 'n5' });
    expect(change!.caughtUpAtMicros).not.toBeNull();
  });

  it('a restarted node resumes from the ring state it persisted, not the static member list', () => {
    // Before, a restart rebuilt the ring from the config's members: until gossip reached it, n0 took writes
    // for arcs n5 had taken over, and at N = 1 those were lost (found by a protocol review).
    const cluster = new SimCluster({ ...base(24), n: 1, r: 1, w: 1 });
    preload(cluster, 50);
    cluster.join('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active' && cluster.ringConverged());
    cluster.advance(100_000);
    cluster.crash('n0');
    cluster.network.partition([['n0']]);
    cluster.restart('n0');
    cluster.advance(10_000);
    const restarted = cluster.node('n0')!;
    expect(restarted.ring.nodes.map((x) => x.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(restarted.membership!.status).toBe('active');
  });

  it('without the hand-off, a leaver takes its keys with it', () => {
    const cluster = new SimCluster({ ...single(23, { skipTransfer: true }), spareNodes: 0 });
    const acked = preload(cluster, 300);
    cluster.leave('n2');
    runUntil(cluster, () => cluster.node('n2')!.membership!.status === 'left' && cluster.ringConverged());
    expect(unreadable(cluster, acked, 'n0').length).toBeGreaterThan(300 / 10);
  });
});

/** `count` keys written through the five members, then n5 joins (60 s grace, anti-entropy every 2 s, read repair on). */
function joinAfterWrites(spareNodes: number, count: number): { cluster: SimCluster; keys: string[] } {
  const cluster = new SimCluster({ ...base(1, { readRepair: true, spareNodes }), antiEntropyIntervalMicros: 2_000_000, storage: { tombstoneGraceMicros: 60_000_000 } });
  const keys = Array.from({ length: count }, (_, i) => `k${i}`);
  keys.forEach((key, i) => expect(cluster.awaitPut(`n${i % 5}`, key, `v1-${key}`).status).toBe('ok'));
  cluster.join('n5');
  runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active' && cluster.ringConverged());
  return { cluster, keys };
}

describe('old owners after a change', () => {
  // Found by a review: old owners kept the arcs a join took; deletes made while the newcomer owned them never
  // reached those copies, and once the owners had purged their tombstones (the grace), the newcomer's leave
  // handed the arcs back and the stale copies were the live value again — 103 of 200 deleted keys read back at
  // R = 3, with no fault at all. The next review: the cleanup never ran on a node restarted before it (or with
  // hinted handoff off). A 60 s grace here; the cleanup waits a quarter of it.
  const joinDeleteLeave = (variant: { restartOldOwners?: boolean; hintedHandoff?: boolean }) => {
    const cluster = new SimCluster({
      ...base(1, { readRepair: true, hintedHandoff: variant.hintedHandoff ?? true }),
      antiEntropyIntervalMicros: 2_000_000,
      storage: { tombstoneGraceMicros: 60_000_000 },
    });
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const ownersBefore = new Map(keys.map((key) => [key, cluster.owners(key)]));
    for (const key of keys) expect(cluster.awaitPut('n0', key, `v1-${key}`).status).toBe('ok');
    cluster.join('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active' && cluster.ringConverged());
    cluster.advance(5_000_000);
    if (variant.restartOldOwners) {
      for (const id of ['n0', 'n1', 'n2', 'n3', 'n4']) {
        cluster.crash(id);
        cluster.restart(id);
        cluster.advance(2_000_000);
      }
    }
    const moved = keys.filter((key) => ownersBefore.get(key)!.some((owner) => !cluster.owners(key).includes(owner)));
    expect(moved.length).toBeGreaterThan(20);
    for (const key of keys) {
      const read = cluster.awaitGet('n0', key, { r: 3 });
      expect(cluster.awaitDelete('n0', key, { context: read.context }).status).toBe('ok');
    }
    cluster.advance(120_000_000); // past the grace: the owners purge their tombstones
    const lostOwnerCopies = moved.filter((key) => ownersBefore.get(key)!.some((owner) => !cluster.owners(key).includes(owner) && cluster.localValues(owner, key).length > 0));
    expect(lostOwnerCopies).toEqual([]);
    expect(cluster.counterTotals().lostArcRecordsRemoved).toBeGreaterThanOrEqual(moved.length);
    cluster.leave('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'left' && cluster.ringConverged());
    cluster.advance(30_000_000);
    expect(keys.filter((key) => cluster.awaitGet('n1', key, { r: 3 }).strings.length > 0)).toEqual([]);
  };

  it('a node that lost arcs to a join removes its copies, so a later leave does not bring deleted data back', () => joinDeleteLeave({}));
  it('… also when the old owners restarted before their cleanup ran', () => joinDeleteLeave({ restartOldOwners: true }));
  it('… also with hinted handoff off', () => joinDeleteLeave({ hintedHandoff: false }));

  /**
   * N = 1: n5 joins under a write load while 30 % of the old owners' fire-and-forget copies to it are lost, so
   * some writes are on their old owner only until n5's catch-up pass brings them.
   */
  const joinLosingCopies = (extra: Partial<SimClusterOptions>) => {
    const cluster = new SimCluster({ ...base(1), n: 1, r: 1, w: 1, ...extra });
    const olds = ['n0', 'n1', 'n2', 'n3', 'n4'];
    for (const old of olds) cluster.network.setLinkOverride(old, 'n5', { lossProbability: 0.3 });
    const load = writeLoad(cluster, 'live', 5_000);
    cluster.advance(500_000);
    cluster.join('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active');
    load.stop();
    runUntil(cluster, () => cluster.ringConverged());
    cluster.network.clearLinkOverrides();
    return { cluster, load, olds };
  };

  it('… also when the joiner is cut off for longer than half the grace (the cleanup never removes a copy unoffered)', () => {
    // Found by the review of the third version: past half the grace it removed copies without offering them,
    // and at N = 1 with the joiner cut off for a minute (grace 60 s) 22 of 1111 acknowledged writes were lost.
    const { cluster, load } = joinLosingCopies({ storage: { tombstoneGraceMicros: 60_000_000 } });
    cluster.network.partition([['n5']]);
    cluster.advance(60_000_000);
    cluster.network.heal();
    cluster.advance(30_000_000);
    expect(load.acked.size).toBeGreaterThan(500);
    expect(unreadable(cluster, load.acked, 'n0')).toEqual([]);
  });

  it('a ring change that lands while a cleanup pass runs is cleaned up after too', () => {
    // Found by the same review: the pass running when n6 joined ended by clearing what it owed, so the arcs the
    // join took from n0 were never looked at, and after n6 left again the deleted keys came back.
    const { cluster, keys } = joinAfterWrites(2, 200);
    // n0's first cleanup pass: n6 joins as it starts, and n0 takes the owners' answers 1.8 s late (a slow link).
    const node = cluster.node('n0') as unknown as { sweepLostArcs(after: Uint8Array, kept: boolean, changes?: number): void; sweepAcked(id: number, ok: boolean): void };
    const sweep = node.sweepLostArcs.bind(node);
    const acked = node.sweepAcked.bind(node);
    let passes = 0;
    let slow = false;
    node.sweepAcked = (id, ok) => (slow ? void cluster.simulator.schedule(1_800_000, EventTag.Control, () => acked(id, ok)) : acked(id, ok));
    node.sweepLostArcs = (after, kept, changes) => {
      if (++passes === 1) {
        cluster.join('n6');
        slow = true;
        cluster.simulator.schedule(10_000_000, EventTag.Control, () => (slow = false));
      }
      sweep(after, kept, changes);
    };
    cluster.advance(5 * 60_000_000);
    const stale = keys.filter((key) => !cluster.owners(key).includes('n0') && cluster.localValues('n0', key).length > 0);
    expect(stale).toEqual([]);
    expect(passes).toBeGreaterThan(1);
  });

  it('the cleanup never removes a copy the joiner has not got: it hands each record over first', () => {
    // Found by a review: N = 1, some fire-and-forget copies to the joiner lost, then the joiner cut off from the
    // old owners (its catch-up pass blocked) for longer than the cleanup's wait — a plain delete lost 22 of 1111
    // acknowledged writes. Handed over first, a record whose owner cannot answer stays.
    const { cluster, load, olds } = joinLosingCopies({});
    cluster.network.blockOneWay(['n5'], olds); // its catch-up pulls and its answers to the cleanup are lost
    cluster.advance(11 * 60_000_000); // past the cleanup's wait (10 min)
    expect(cluster.counterTotals().lostArcRecordsRemoved).toBe(0);
    cluster.network.heal();
    cluster.advance(30_000_000);
    expect(load.acked.size).toBeGreaterThan(500);
    expect(unreadable(cluster, load.acked, 'n0')).toEqual([]);
  });
});

describe('old owners after a change: hints, churn, own dots', () => {
  it('a lost-arc copy kept for a waiting hint is cleaned up once the hint is gone (a deleted value stays deleted)', () => {
    // Found by a review: the cleanup skipped a copy with a hint waiting but did not count it as kept, so the pass
    // ended owing nothing; the hint was delivered later and the copy (with the old owner's own dots) stayed;
    // after the grace the next join's cleanup offered it and a deleted value came back — every owner reachable.
    const options = { ...base(1, { spareNodes: 2 }), requestTimeoutMicros: 300_000, storage: { tombstoneGraceMicros: 60_000_000 } };
    // A key that n5's join takes from one owner A and whose first owner afterwards is not n5.
    const probe = new SimCluster(options);
    const ownersBefore = new Map(Array.from({ length: 400 }, (_, i) => [`k${i}`, probe.owners(`k${i}`)] as const));
    probe.join('n5');
    runUntil(probe, () => probe.node('n5')!.membership!.status === 'active' && probe.ringConverged());
    const [key, lost] = [...ownersBefore].map(([k, owners]) => [k, owners.find((o) => !probe.owners(k).includes(o))] as const).find(([k, o]) => o !== undefined && probe.owners(k)[0] !== 'n5')!;
    const after = probe.owners(key);
    const [coordinator, down] = [after[0]!, after.find((o) => o !== after[0] && o !== 'n5') ?? 'n5'];
    const cluster = new SimCluster(options);
    expect(cluster.awaitPut(lost!, key, 'v1').status).toBe('ok');
    cluster.join('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active' && cluster.ringConverged());
    // An owner down; a W=3 write then leaves its hint on the old owner, which stands in with its old copy.
    cluster.crash(down);
    const read = cluster.awaitGet(coordinator, key, { r: 1 });
    cluster.awaitPut(coordinator, key, 'v2', { context: read.context, w: 3 });
    cluster.advance(61_000_000); // the old owner's cleanup runs while the hint waits
    cluster.restart(down);
    cluster.advance(60_000_000); // the hint is delivered; a later pass hands the copy over and removes it
    const owners = cluster.owners(key);
    const current = cluster.awaitGet(owners[0]!, key, { r: 3 });
    expect(current.strings).toEqual(['v2']);
    expect(cluster.awaitDelete(owners[0]!, key, { context: current.context }).status).toBe('ok');
    cluster.advance(300_000_000); // past the grace: the owners purge the tombstone
    expect(cluster.localValues(lost!, key)).toEqual([]);
    cluster.join('n6');
    runUntil(cluster, () => cluster.node('n6')!.membership!.status === 'active' && cluster.ringConverged());
    cluster.advance(120_000_000);
    expect(cluster.awaitGet(cluster.owners(key)[0]!, key, { r: 3 }).strings).toEqual([]);
  });

  it('joins every 12 s do not put the cleanup off past the grace (deleted keys stay deleted)', () => {
    // Found by a review: each ring change restarted the cleanup's wait, so under steady churn it ran after the
    // grace, and handed stale copies to owners that had purged the tombstones — 76 of 300 deleted keys back.
    const { cluster, keys } = joinAfterWrites(7, 300);
    for (const key of keys) {
      const read = cluster.awaitGet('n1', key, { r: 3 });
      expect(cluster.awaitDelete('n1', key, { context: read.context }).status).toBe('ok');
    }
    for (const spare of ['n6', 'n7', 'n8', 'n9', 'n10', 'n11']) {
      cluster.advance(12_000_000);
      cluster.join(spare);
      runUntil(cluster, () => cluster.node(spare)!.membership!.status === 'active');
    }
    runUntil(cluster, () => cluster.ringConverged());
    cluster.advance(60_000_000);
    expect(keys.filter((key) => cluster.awaitGet('n1', key, { r: 3 }).strings.length > 0)).toEqual([]);
    expect(cluster.counterTotals().lostArcRecordsRemoved).toBeGreaterThan(0);
  });

  it('a node whose cleanup removed copies with its own dots takes a fresh actor: its next blind write erases no sibling', () => {
    // Found by a review (N = 1): v1 written through its old owner X, the key moved to n5 by a join, v2 written
    // blindly at n5 (siblings), X's copy cleaned up; then a blind v3 through X standing in carried a clock
    // entry of X's actor covering v1's dot, and the owner dropped v1, an acknowledged write.
    const cluster = new SimCluster({ ...base(1), n: 1, r: 1, w: 1, storage: { tombstoneGraceMicros: 60_000_000 } });
    const keys = Array.from({ length: 400 }, (_, i) => `k${i}`);
    const ownerBefore = new Map(keys.map((key) => [key, cluster.owners(key)[0]!]));
    for (const key of keys) expect(cluster.awaitPut(ownerBefore.get(key)!, key, `v1-${key}`).status).toBe('ok');
    cluster.join('n5');
    runUntil(cluster, () => cluster.node('n5')!.membership!.status === 'active' && cluster.ringConverged());
    const key = keys.find((k) => cluster.owners(k)[0] === 'n5')!;
    const oldOwner = ownerBefore.get(key)!;
    expect(cluster.awaitPut('n5', key, 'v2').status).toBe('ok');
    cluster.advance(30_000_000); // past the cleanup's wait (15 s with a 60 s grace)
    expect(cluster.localValues(oldOwner, key)).toEqual([]);
    expect(cluster.node(oldOwner)!.counters.actorsRenewed).toBeGreaterThan(0);
    cluster.network.partition([[oldOwner]]);
    const first = cluster.awaitPut(oldOwner, key, 'v3');
    if (first.status !== 'ok') expect(cluster.awaitPut(oldOwner, key, 'v3').status).toBe('ok');
    cluster.network.heal();
    cluster.advance(10_000_000);
    expect(cluster.awaitGet('n0', key, { r: 1 }).strings.sort()).toEqual([`v1-${key}`, 'v2', 'v3']);
  });
});
