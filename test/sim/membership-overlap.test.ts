import { describe, expect, it } from 'vitest';
import { bytes, SimCluster } from '../../sim/cluster';
import { buildRing, preferenceList } from '../../core/ring';

/**
 * Membership changes in flight at the same time (found by a review, N = R = W = 1). With several changes in
 * flight the placement ring moves one change at a time, in an order no node knows in advance, so each change's
 * copy must cover every ring it may become (or stop being) an owner in — not only the final target ring:
 * - two joins a moment apart: the first joiner planned against the target ring (which gives the second
 *   joiner some arcs the first takes on its own), turned active first, and the second then pulled those arcs
 *   from the first, which never had them: acknowledged writes left on their old owner only, read as absent —
 *   for good once that owner left;
 * - a leave with a join in flight: the leaver pushed only to the target ring's owners (the joiner), and once it
 *   had left, the interim owner (the joiner still joining) held nothing until the catch-up pass.
 */

const options = { seed: 1, nodes: 5, spareNodes: 2, n: 1, r: 1, w: 1, vnodes: 64, ringGossipIntervalMicros: 200_000, readRepair: false } as const;

function preload(cluster: SimCluster, count: number): Map<string, string> {
  const acked = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const result = cluster.awaitPut(cluster.ids[i % 5]!, `k${i}`, `v${i}`);
    if (result.status === 'ok') acked.set(`k${i}`, `v${i}`);
  }
  return acked;
}

/** Acknowledged writes the key's owner in `via`'s current ring does not hold (what a read at R = N = 1 misses). */
function notAtOwner(cluster: SimCluster, acked: ReadonlyMap<string, string>, via = 'n0'): string[] {
  const node = cluster.node(via)!;
  const out: string[] = [];
  for (const [key, value] of acked) {
    const owner = node.preferenceList(bytes(key))[0]!;
    if (!cluster.localValues(owner, key).includes(value)) out.push(`${key}@${owner}`);
  }
  return out;
}

/** Steps of 20 ms for `micros`: the most acknowledged writes missing at their owner at any one step. */
function worstWindow(cluster: SimCluster, acked: () => ReadonlyMap<string, string>, micros: number): { worst: number; example: string[] } {
  let worst = 0;
  let example: string[] = [];
  for (let t = 0; t < micros; t += 20_000) {
    cluster.advance(20_000);
    const missing = notAtOwner(cluster, acked());
    if (missing.length > worst) {
      worst = missing.length;
      example = missing.slice(0, 5);
    }
  }
  return { worst, example };
}

function settled(cluster: SimCluster, nodes: string[]): boolean {
  return cluster.ringConverged() && nodes.every((id) => cluster.membershipChanges(id).every((c) => c.caughtUpAtMicros !== null));
}

describe('membership changes in flight together (N = 1)', () => {
  it('two joins 300 ms apart keep every acknowledged write at its owner, during and after', () => {
    const cluster = new SimCluster(options);
    const acked = preload(cluster, 1000);
    cluster.join('n5');
    cluster.advance(300_000);
    cluster.join('n6');
    const window = worstWindow(cluster, () => acked, 4_000_000);
    for (let i = 0; i < 100 && !settled(cluster, ['n5', 'n6']); i++) cluster.advance(100_000);
    expect(settled(cluster, ['n5', 'n6'])).toBe(true);
    expect(cluster.ringMembers()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    expect(notAtOwner(cluster, acked)).toEqual([]);
    expect(window).toEqual({ worst: 0, example: [] });
  });

  it('a leave with a join 0.5 s behind it leaves no acknowledged write unreadable at any moment', () => {
    const cluster = new SimCluster(options);
    const acked = preload(cluster, 1000);
    cluster.leave('n1');
    cluster.advance(500_000);
    cluster.join('n5');
    const window = worstWindow(cluster, () => acked, 3_000_000);
    expect(window).toEqual({ worst: 0, example: [] });
    for (let i = 0; i < 100 && !settled(cluster, ['n1', 'n5']); i++) cluster.advance(100_000);
    expect(cluster.ringMembers()).toEqual(['n0', 'n2', 'n3', 'n4', 'n5']);
    expect(notAtOwner(cluster, acked)).toEqual([]);
  });

  it('a write during two changes goes to its owner in every ring the placement may pass through (pending owners)', () => {
    // A write that lands after a change's copy scanned its key reaches the key's next owner only by the
    // coordinator's fire-and-forget copy to its pending owners. With two changes in flight the next owner may
    // be the owner of an intermediate ring — the interim owner once a leaver has left while a joiner is still
    // joining, or the first of two joiners to turn active — not only of the target ring (where both are done).
    for (const [first, second] of [[['leave', 'n1'], ['join', 'n5']], [['join', 'n5'], ['join', 'n6']]] as const) {
      const cluster = new SimCluster(options);
      const change = ([kind, id]: readonly [string, string]) => (kind === 'join' ? cluster.join(id) : cluster.leave(id));
      change(first);
      cluster.advance(500_000);
      change(second);
      const n0 = cluster.node('n0')!;
      const both = () => n0.membership!.state.records.filter((r) => r.status === 'joining' || r.status === 'leaving').length === 2;
      for (let i = 0; i < 50 && !both(); i++) cluster.advance(20_000);
      expect(both()).toBe(true);
      const strategy = n0.ring.strategy;
      const members = (done: readonly string[]) => n0.membership!.state.records
        .filter((r) => r.status === 'active' || (r.status === 'leaving' && !done.includes(r.id)) || (r.status === 'joining' && done.includes(r.id)))
        .map((r) => ({ id: r.id }));
      const rings = [[first[1]], [second[1]], [first[1], second[1]]].map((done) => buildRing(members(done), strategy));
      const missed: string[] = [];
      for (let k = 0; k < 2000; k++) {
        const key = bytes(`key${k}`);
        const owners = n0.preferenceList(key);
        const pending = n0.membership!.pendingOwners(key, owners);
        for (const ring of rings) {
          for (const node of preferenceList(ring, key, 1)) if (!owners.includes(node) && !pending.includes(node)) missed.push(`key${k}→${node}`);
        }
      }
      expect({ changes: `${first.join(' ')} then ${second.join(' ')}`, missed: missed.slice(0, 5), count: missed.length }).toEqual({ changes: `${first.join(' ')} then ${second.join(' ')}`, missed: [], count: 0 });
    }
  });
});
