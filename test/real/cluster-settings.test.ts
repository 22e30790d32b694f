import { describe, expect, it } from 'vitest';
import { DynalabHttpError } from '../../real/client';
import { nodeConfigSchema } from '../../real/node-config';
import { clusterSettings } from '../../real/node-process';
import { startCluster } from './harness';

const members = [
  { id: 'a', tcp: '127.0.0.1:9101' },
  { id: 'b', tcp: '127.0.0.1:9102' },
  { id: 'c', tcp: '127.0.0.1:9103' },
];

function config(id: string, overrides: Record<string, unknown> = {}) {
  const index = members.findIndex((m) => m.id === id);
  return nodeConfigSchema.parse({
    id,
    listen: { http: `127.0.0.1:${8101 + index}`, tcp: members[index]!.tcp },
    dataDir: `/tmp/unused-${id}`,
    secret: 'a-secret-of-sixteen+',
    members,
    ...overrides,
  });
}

describe('clusterSettings (compared in the peer handshake)', () => {
  it('is the same for every member of one cluster, whatever their own ids, ports and data dirs', () => {
    const settings = members.map((m) => clusterSettings(config(m.id)));
    expect(new Set(settings).size).toBe(1);
    expect(settings[0]).toMatch(/^conflict=vclock n=3 vnodes=64 members#[0-9a-f]{12}$/);
    // Listing the members in another order builds the same ring.
    expect(clusterSettings(config('a', { members: [...members].reverse() }))).toBe(settings[0]);
  });

  it('differs when the conflict mode, N, vnodes, the member list or a weight differs', () => {
    const base = clusterSettings(config('a'));
    for (const overrides of [
      { conflict: 'lww' },
      { n: 2, r: 1, w: 1 },
      { vnodes: 128 },
      { members: [...members, { id: 'd', tcp: '127.0.0.1:9104' }] },
      { members: [members[0], members[1], { ...members[2], weight: 2 }] },
    ]) {
      expect(clusterSettings(config('a', overrides)), JSON.stringify(overrides)).not.toBe(base);
    }
  });
});

describe('a member with other cluster settings, seen from a client', () => {
  it('a quorum 503 names the peers this node cannot reach and why, settings mismatch included', async () => {
    const cluster = await startCluster({ nodes: 3 });
    try {
      const [a, b, c] = cluster.configs;
      await cluster.stop(1);
      await cluster.stop(2);
      // b comes back configured with another ring shape; c stays down.
      cluster.configs[1] = { ...b!, vnodes: b!.vnodes * 2 };
      await cluster.start(1);
      const error = await cluster.clients[0]!.put('k', 'v').then(() => expect.fail('expected a 503'), (e: unknown) => e as DynalabHttpError);
      expect(error.status).toBe(503);
      expect(error.message).toMatch(/write quorum not met: 1 replica acknowledged; .*\(quorum not met: 1 of W=2 replicas acknowledged/);
      expect(error.message).toContain(`this node cannot reach`);
      expect(error.message).toMatch(new RegExp(`${b!.id} \\(peer ${b!.id} runs '[^']*vnodes=${b!.vnodes * 2}[^']*' but this node runs '[^']*vnodes=${a!.vnodes}`));
      expect(error.message).toContain(`${c!.id} (`);
    } finally {
      await cluster.close();
    }
  });
});
