import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';

/**
 * A coordinator's dot counters never go back within one actor (core/versioning/dvv.ts, nextCounter's floor).
 * Found by a review: counters were max(local entry + 1, context entry + 1, the write's timestamp), so a writer
 * that had forgotten its entry — its dead record purged after the grace — drew the next counter from its
 * clock. After the clock stepped back (NTP) that counter was below ones it had issued, a replica that still
 * held the dead record (it got it late, by hint, and keeps it a full grace from then) counted the new dot as
 * seen, and an acknowledged put was dropped there and then by read repair everywhere.
 */
describe('dot counters after a clock step back', () => {
  it('a put after the coordinator forgot the key keeps its value (no dot reuse)', () => {
    const graceMicros = 20_000_000;
    const cluster = new SimCluster({
      seed: 1,
      nodes: 3,
      storage: { tombstoneGraceMicros: graceMicros },
      machine: (i) => (i === 0 ? { clockOffsetMicros: 60_000_000 } : {}),
    });
    const key = 'k0';
    const coordinator = 'n0';
    const late = cluster.owners(key).find((owner) => owner !== coordinator)!;
    expect(cluster.awaitPut(coordinator, key, 'v1').status).toBe('ok'); // dot n0:~60 s (its clock is 60 s fast)
    cluster.world.machine(coordinator).clock.jump(-60_000_000); // NTP steps it back to the right time
    const read = cluster.awaitGet(coordinator, key, { r: 3 });
    expect(read.strings).toEqual(['v1']);
    cluster.network.partition([[late]]);
    expect(cluster.awaitDelete(coordinator, key, { context: read.context }).status).toBe('ok');
    cluster.advance(3_000_000);
    cluster.network.heal();
    cluster.advance(5_000_000); // the late owner gets the tombstone by hint, a few seconds after the others
    cluster.advance(graceMicros - 6_500_000); // the coordinator's dead record is purged, the late owner's not yet
    const dataKey = new Uint8Array([0x64, ...new TextEncoder().encode(key)]);
    expect(cluster.node(coordinator)!.engine.get(dataKey), 'coordinator purged its dead record').toBeUndefined();
    expect(cluster.node(late)!.engine.get(dataKey), 'late owner still holds it').toBeDefined();
    const put = cluster.awaitPut(coordinator, key, 'v2');
    expect(put.status).toBe('ok');
    cluster.advance(1_000_000);
    expect(cluster.awaitGet(coordinator, key, { r: 3 }).strings).toEqual(['v2']);
    cluster.advance(1_000_000);
    expect(cluster.awaitGet(late, key).strings).toEqual(['v2']);
  });
});
