import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';

/**
 * A write's answer carries its context when no other *live* version is left beside it (core/node.ts,
 * WriteResult.context). Found by a review: after a TTL value expired, a blind put left [expired, new] and was
 * answered "2 siblings, no context", telling the writer to resolve a conflict no read could show it.
 */
describe('the context a write returns', () => {
  it('is given when the only other versions are expired or deleted', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3 });
    expect(cluster.awaitPut('n0', 'lease', 'holder-1', { ttlMicros: 1_000_000 }).status).toBe('ok');
    cluster.advance(2_000_000);
    expect(cluster.awaitGet('n0', 'lease').strings).toEqual([]);
    const put = cluster.awaitPut('n0', 'lease', 'holder-2');
    expect(put.status).toBe('ok');
    expect(put.siblings).toBeUndefined();
    expect(put.context.length).toBeGreaterThan(0);
    // The context supersedes what the writer wrote: the next write with it leaves one version.
    const next = cluster.awaitPut('n0', 'lease', 'holder-3', { context: put.context });
    expect(next.siblings).toBeUndefined();
    expect(cluster.awaitGet('n0', 'lease', { r: 3 }).strings).toEqual(['holder-3']);
  });

  it('under last-writer-wins is given even when a newer version beat the write (it is not in the result)', () => {
    // n0's clock is 10 s ahead: its delete out-stamps n1's later put, so the put's result holds only the tombstone.
    const cluster = new SimCluster({ seed: 1, nodes: 2, n: 2, r: 1, w: 2, conflict: 'lww', machine: (i) => (i === 0 ? { clockOffsetMicros: 10_000_000 } : {}) });
    expect(cluster.awaitDelete('n0', 'k').status).toBe('ok');
    const put = cluster.awaitPut('n1', 'k', 'v');
    expect(put.status).toBe('ok');
    expect(put.siblings).toBeUndefined();
    expect(put.context.length).toBeGreaterThan(0);
  });

  it('is withheld, with the count, when a live version is left beside it', () => {
    const cluster = new SimCluster({ seed: 2, nodes: 3 });
    expect(cluster.awaitPut('n0', 'k', 'a').status).toBe('ok');
    const blind = cluster.awaitPut('n1', 'k', 'b'); // no context: concurrent with a
    expect(blind.context.length).toBe(0);
    expect(blind.siblings).toBe(2);
  });
});
