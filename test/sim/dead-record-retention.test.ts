import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';

// A record whose every version is dead (tombstones, expired TTLs) is kept for the storage's
// tombstoneGraceMicros after the last death, then purged (core/versioning/sibling-set.ts purgeableAtMicros).
// Its context is what supersedes an older version on a replica that missed the delete or the overwrite:
// dropping it early brings that version back; never dropping it grows the disk without bound.

const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const enc = new TextEncoder();

function versionsHeld(c: SimCluster, id: string, key: string): number {
  return c.node(id)!.localSiblings(enc.encode(key)).versions.length;
}

function flushAndCompactAll(c: SimCluster): void {
  for (const id of c.ids) c.await<void>((done) => c.node(id)!.engine.flush(() => c.node(id)!.engine.compact(() => done())));
}

/**
 * v1 on every replica; one replica (x) cut off; v1 overwritten through its context by a 60 s lease; then past
 * the lease and the 3 h hint window (the old engine TTL of such a record), still cut off.
 */
function leaseOverwriteWhileCutOff(c: SimCluster): { key: string; a: string; x: string } {
  const key = 'k';
  const [a, , x] = c.owners(key);
  expect(c.awaitPut(a!, key, 'v1').status).toBe('ok');
  c.advance(2_000_000);
  c.network.partition([[x!]]);
  const read = c.awaitGet(a!, key);
  expect(c.awaitPut(a!, key, 'v2-lease', { context: read.context, ttlMicros: 60_000_000 }).status).toBe('ok');
  c.advance(60_000_000 + 3 * HOUR + 120_000_000);
  return { key, a: a!, x: x! };
}

describe('dead records: kept for the tombstone grace, then purged', () => {
  for (const conflict of ['vclock', 'lww'] as const) {
    it(`${conflict}: a TTL'd overwrite expired hours ago still supersedes the value a cut-off replica holds`, () => {
      const c = new SimCluster({ seed: 1, nodes: 3, n: 3, r: 2, w: 2, conflict });
      const { key, a, x } = leaseOverwriteWhileCutOff(c);
      expect(c.localValues(x, key)).toEqual(['v1']);
      c.network.heal();
      // Before the fix: ['v1'], and read repair wrote it back to every replica.
      expect(c.awaitGet(a, key, { r: 3 }).strings).toEqual([]);
      c.advance(1_000_000);
      for (const id of c.owners(key)) expect(c.localValues(id, key)).toEqual([]);
      expect(c.awaitGet(a, key).strings).toEqual([]);
    });
  }

  it('anti-entropy (no reads) does not bring an overwritten value back after the lease expired', () => {
    const c = new SimCluster({ seed: 1, nodes: 3, n: 3, r: 2, w: 2, antiEntropyIntervalMicros: 60_000_000, readRepair: false });
    const { key } = leaseOverwriteWhileCutOff(c);
    c.network.heal();
    c.advance(10 * 60_000_000);
    for (const id of c.owners(key)) expect(c.localValues(id, key)).toEqual([]);
  });

  it('deleted keys are purged once the grace has passed (10 days by default), not kept forever', () => {
    const c = new SimCluster({ seed: 2, nodes: 3, n: 3, r: 2, w: 2 });
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    for (const key of keys) {
      const fresh = c.awaitGet('n0', key);
      expect(c.awaitPut('n0', key, 'x'.repeat(100), { context: fresh.context }).status).toBe('ok');
      const written = c.awaitGet('n0', key);
      expect(c.awaitDelete('n0', key, { context: written.context }).status).toBe('ok');
    }
    c.advance(5_000_000);
    flushAndCompactAll(c);
    // Within the grace every replica keeps the tombstone (it reads as absent).
    for (const id of c.ids) expect(keys.filter((key) => versionsHeld(c, id, key) > 0)).toHaveLength(keys.length);
    expect(c.awaitGet('n0', 'k0').strings).toEqual([]);
    c.advance(11 * DAY);
    flushAndCompactAll(c);
    for (const id of c.ids) {
      expect(keys.filter((key) => versionsHeld(c, id, key) > 0)).toEqual([]);
      expect(c.node(id)!.engine.stats().tableBytes).toBe(0);
    }
  });

  it('a coordinator whose clock is more than the grace behind cannot make the replicas drop the delete at once', () => {
    // The tombstone is stamped 11 days in the past; the replicas that held the value live keep the tombstone the
    // grace from now (a review of the first fix: they purged it at once, and the value came back from the
    // replica cut off for one minute).
    const c = new SimCluster({ seed: 3, nodes: 5, n: 3, r: 2, w: 2, hintedHandoff: false, machine: (i) => (i === 4 ? { clockOffsetMicros: -11 * DAY } : {}) });
    let key = '';
    for (let i = 0; key === ''; i++) if (c.owners(`k${i}`)[0] === 'n4') key = `k${i}`;
    const [a, b, x] = c.owners(key);
    expect(c.awaitPut(b!, key, 'v1').status).toBe('ok');
    c.advance(2_000_000);
    c.network.partition([[x!]]);
    const read = c.awaitGet(a!, key);
    expect(c.awaitDelete(a!, key, { context: read.context }).status).toBe('ok');
    c.advance(1_000_000);
    expect(versionsHeld(c, b!, key)).toBe(1);
    // The same delete again (a client retry, a second tombstone beside the first): stored over the first, it
    // must not shorten its keep either (it did: the record held nothing live, so it got the shortest TTL).
    expect(c.awaitDelete(a!, key, { context: read.context }).status).toBe('ok');
    c.advance(1_000_000);
    expect(versionsHeld(c, b!, key)).toBeGreaterThan(0);
    c.advance(60_000_000);
    c.world.machine(a!).clock.jump(11 * DAY); // NTP steps the slow clock back
    c.advance(1_000_000);
    c.network.heal();
    c.advance(5_000_000);
    expect(c.awaitGet(b!, key).strings).toEqual([]);
    expect(c.awaitGet(b!, key, { r: 3 }).strings).toEqual([]);
    c.advance(2_000_000);
    for (const id of [a!, b!, x!]) expect(c.localValues(id, key)).toEqual([]);
  });

  it('a record that arrives already dead is purged after its grace, not stored for good', () => {
    const c = new SimCluster({ seed: 5, nodes: 3, n: 3, r: 2, w: 2 });
    const key = 'tmp';
    const [a, , x] = c.owners(key);
    c.network.partition([[x!]]);
    expect(c.awaitPut(a!, key, 'v', { ttlMicros: 1_000_000 }).status).toBe('ok');
    c.advance(5_000_000);
    c.network.heal();
    c.advance(10_000_000); // the hint reaches x after the value expired
    expect(versionsHeld(c, x!, key)).toBe(1);
    c.advance(30 * DAY);
    expect(c.awaitGet(a!, key, { r: 3 }).strings).toEqual([]);
    c.advance(1_000_000); // any read repair of that read
    flushAndCompactAll(c);
    for (const id of c.owners(key)) expect(versionsHeld(c, id, key)).toBe(0);
  });
});
