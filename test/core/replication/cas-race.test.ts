import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';
import type { WriteResult } from '../../../core/node';

// Conditional writes of one key meet at its first healthy owner and run there one at a time, so of several
// racing on one etag exactly one wins. Before, each entry node coordinated its own and several won (a review:
// up to 15 of 24 racing clients, no fault).
describe('conditional writes racing on one etag', () => {
  it('exactly one wins, whichever nodes they enter through; the rest get conflict', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    expect(cluster.awaitPut('n0', 'lease', 'initial').status).toBe('ok');
    const { etag } = cluster.awaitGet('n3', 'lease');
    const results: WriteResult[] = [];
    for (let i = 0; i < 20; i++) cluster.cas(cluster.ids[i % 5]!, 'lease', `holder-${i}`, etag, {}, (result) => results.push(result));
    cluster.advance(3_000_000);
    expect(results).toHaveLength(20);
    const winners = results.filter((r) => r.status === 'ok');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.code === 'conflict')).toHaveLength(19);
    expect(cluster.awaitGet('n1', 'lease', { r: 3 }).strings).toHaveLength(1); // one holder, no siblings
  });

  it('with the first owner down, the next healthy owner takes the turn: still a single winner', () => {
    const cluster = new SimCluster({ seed: 10, nodes: 5 });
    expect(cluster.awaitPut('n0', 'lease', 'initial').status).toBe('ok');
    const first = cluster.owners('lease')[0]!;
    cluster.crash(first);
    const entries = cluster.ids.filter((id) => id !== first);
    // Every entry node learns that the first owner is gone (a write it leaves unanswered), then they race.
    for (const id of entries) cluster.awaitPut(id, `warm-${id}`, 'x');
    for (const id of entries) cluster.awaitPut(id, 'lease', 'second', { context: cluster.awaitGet(id, 'lease').context });
    cluster.advance(2_000_000);
    const { etag } = cluster.awaitGet(entries[0]!, 'lease');
    const results: WriteResult[] = [];
    for (let i = 0; i < 12; i++) cluster.cas(entries[i % entries.length]!, 'lease', `holder-${i}`, etag, {}, (result) => results.push(result));
    cluster.advance(5_000_000);
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
  });
});
