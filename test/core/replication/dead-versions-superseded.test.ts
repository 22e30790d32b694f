import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';
import { EXPIRED_SIBLING_GRACE_MICROS } from '../../../core/node';

const key = (text: string) => new TextEncoder().encode(text);

/**
 * Dead versions (tombstones, values expired by the coordinator's clock) beside a vector-clock write are
 * superseded by it (core/node.ts applyWrite). Found by a review of TTL: a cache-style client refreshing a key
 * with blind `PUT ?ttl=` kept every expired value as a hidden sibling; reads showed one value while the stored
 * set grew with each write, every write shipped all of it, and at 8 MiB the key was refused as "too many
 * siblings". And the etag a client sees leaves dead versions out, so a sibling's expiry changes it.
 */
describe('dead versions beside a write', () => {
  it('a blind refresh with a ttl keeps only the versions expired less than the grace, however often it is repeated', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3 });
    const value = 'x'.repeat(64 * 1024);
    // Expired 10 s ago at most, one every 2 s: the write and at most 5 dead ones beside it.
    const bound = 1 + Math.ceil(EXPIRED_SIBLING_GRACE_MICROS / 2_000_000);
    for (let i = 0; i < 150; i++) {
      const put = cluster.awaitPut('n0', 'session', value + i, { ttlMicros: 1_000_000 });
      expect(put.status, `refresh ${i}: ${put.error}`).toBe('ok');
      expect(put.siblings).toBeUndefined();
      expect(cluster.node('n0')!.localSiblings(key('session')).versions.length).toBeLessThanOrEqual(bound);
      cluster.advance(2_000_000); // the value has expired before the next refresh
    }
    cluster.advance(EXPIRED_SIBLING_GRACE_MICROS);
    const fresh = cluster.awaitPut('n1', 'session', 'last', { ttlMicros: 60_000_000, w: 3 });
    expect(fresh.status).toBe('ok');
    for (const id of ['n0', 'n1', 'n2']) expect(cluster.node(id)!.localSiblings(key('session')).versions.length, id).toBe(1);
    expect(cluster.awaitGet('n2', 'session', { r: 3 }).strings).toEqual(['last']);
  });

  it('a live concurrent sibling is kept: only the dead ones go', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 3 });
    expect(cluster.awaitPut('n0', 'k', 'A').status).toBe('ok');
    expect(cluster.awaitPut('n1', 'k', 'B-ttl', { ttlMicros: 1_000_000 }).status).toBe('ok'); // blind: a sibling of A
    cluster.advance(2_000_000 + EXPIRED_SIBLING_GRACE_MICROS);
    const blind = cluster.awaitPut('n2', 'k', 'C', { w: 3 }); // blind again: concurrent with A
    expect(blind.siblings).toBe(2);
    expect(cluster.awaitGet('n0', 'k', { r: 3 }).strings.sort()).toEqual(['A', 'C']);
    for (const id of ['n0', 'n1', 'n2']) expect(cluster.node(id)!.localSiblings(key('k')).versions.length, id).toBe(2);
  });

  it('a coordinator whose clock is fast does not drop a value still live for the others', () => {
    // Found by a review: n2's clock 5 s ahead dropped a value with 4 s left, and the drop reached every replica.
    const cluster = new SimCluster({ seed: 5, nodes: 3, machine: (i) => (i === 2 ? { clockOffsetMicros: 5_000_000 } : {}) });
    expect(cluster.awaitPut('n0', 'k', 'A-ttl10s', { ttlMicros: 10_000_000, w: 3 }).status).toBe('ok');
    cluster.advance(6_000_000);
    expect(cluster.awaitPut('n2', 'k', 'B', { w: 3 }).status).toBe('ok'); // blind, coordinated by n2
    expect(cluster.awaitGet('n0', 'k', { r: 3 }).strings).toEqual(['A-ttl10s', 'B']);
  });

  it("a sibling's expiry changes the etag: a conditional write made against both values is refused after", () => {
    const cluster = new SimCluster({ seed: 6, nodes: 3 });
    cluster.awaitPut('n0', 'k', 'A');
    cluster.awaitPut('n1', 'k', 'B-ttl', { ttlMicros: 2_000_000 }); // blind: a sibling of A
    const before = cluster.awaitGet('n0', 'k');
    expect(before.strings.sort()).toEqual(['A', 'B-ttl']);
    cluster.advance(3_000_000);
    const after = cluster.awaitGet('n0', 'k');
    expect(after.strings).toEqual(['A']);
    expect(after.etag).not.toBe(before.etag);
    const stale = cluster.awaitCas('n0', 'k', 'A+B (merged by the client)', before.etag);
    expect(stale.status).toBe('fail');
    expect(stale.code).toBe('conflict');
    // The etag read after the expiry matches.
    expect(cluster.awaitCas('n0', 'k', 'A2', after.etag).status).toBe('ok');
    expect(cluster.awaitGet('n0', 'k', { r: 3 }).strings).toEqual(['A2']);
  });
});
