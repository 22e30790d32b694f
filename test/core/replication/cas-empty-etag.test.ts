import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../core/node';
import { SimCluster } from '../../../sim/cluster';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('cas with an empty expected etag', () => {
  it('is refused instead of writing unconditionally (found by a review: "" meant "any version" inside)', () => {
    const cluster = new SimCluster({ seed: 5, nodes: 3 });
    expect(cluster.awaitPut('n0', 'k', 'current').status).toBe('ok');
    const result = cluster.await<WriteResult>((done) => cluster.node('n0')!.cas(bytes('k'), bytes('replaced'), '', {}, done));
    expect(result.status).toBe('fail');
    expect(result.code).toBe('bad-request');
    expect(cluster.awaitGet('n0', 'k', { r: 3 }).strings).toEqual(['current']);
  });
});
