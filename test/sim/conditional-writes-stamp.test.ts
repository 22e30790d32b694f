import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';

describe('conditional writes under LWW', () => {
  it('lww: a cas or deleteIf coordinated by a node whose clock is behind still supersedes the version it matched', () => {
    // n0 (the key's first owner, which coordinates conditional writes) runs 50 ms slow, n1 50 ms fast.
    const c = new SimCluster({
      seed: 7, nodes: 3, n: 3, r: 2, w: 2, conflict: 'lww',
      machine: (i) => (i === 0 ? { clockOffsetMicros: -50_000 } : i === 1 ? { clockOffsetMicros: 50_000 } : {}),
    });
    let key = '';
    for (let i = 0; key === ''; i++) if (c.owners(`k${i}`)[0] === 'n0') key = `k${i}`;
    expect(c.awaitPut('n1', key, 'v1').status).toBe('ok');
    const read = c.awaitGet('n2', key);
    expect(c.awaitCas('n2', key, 'v2', read.etag).status).toBe('ok');
    expect(c.awaitGet('n2', key, { r: 3 }).strings).toEqual(['v2']); // before the fix: ['v1']
    expect(c.awaitPut('n1', key, 'v3').status).toBe('ok');
    const again = c.awaitGet('n2', key);
    expect(again.strings).toEqual(['v3']);
    expect(c.awaitDeleteIf('n2', key, again.etag).status).toBe('ok');
    expect(c.awaitGet('n2', key, { r: 3 }).strings).toEqual([]); // before: ['v3']
    expect(c.awaitPut('n1', key, 'v4').status).toBe('ok');
    expect(c.awaitDeleteIf('n2', key, null).status).toBe('ok'); // HTTP DELETE without a context
    expect(c.awaitGet('n2', key, { r: 3 }).strings).toEqual([]);
  });

});
