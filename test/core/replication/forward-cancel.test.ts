import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';
import type { WriteResult } from '../../../core/node';

/**
 * A forwarded write the entry node gave up on must not start later. Found by a fuzz of real mode: a delete
 * without a context (routed as a conditional write to the key's first owner, which reads the key and removes
 * what it finds) was held up on its way — the first owner was paused (SIGSTOP) and read it from its socket
 * buffer on waking, or was restarted and got it from the reconnected link — and ran seconds after its client
 * was answered "outcome unknown", removing a value the client had written and had acknowledged since. The
 * entry node now sends a cancel right behind the write when it gives up; the coordinator refuses a cancelled
 * write that has not written yet.
 *
 * The simulated link models the hold-up: the link to the first owner is slow (3 s) while the write goes out,
 * then fast again, and a link delivers in send order, so everything sent to the first owner meanwhile — the
 * cancel included — arrives in one burst at 3 s, as from a woken process's socket buffer.
 */
describe('a forwarded write its entry node gave up on', () => {
  it('does not run when it finally arrives: a value acknowledged after the "unknown" answer survives', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 3, requestTimeoutMicros: 300_000 });
    const [first] = cluster.owners('doc');
    const entry = cluster.ids.find((id) => id !== first)!;
    expect(cluster.awaitPut(entry, 'doc', 'v0', { w: 3 }).status).toBe('ok');

    cluster.network.setLinkOverride(entry, first!, { latency: { kind: 'fixed', ms: 3000 } });
    let deleted: WriteResult | undefined;
    // As HTTP DELETE without a context: a read-then-delete of whatever is there, coordinated by `first`.
    cluster.deleteIf(entry, 'doc', null, {}, (result) => (deleted = result));
    cluster.advance(1_000_000);
    cluster.network.setLinkOverride(entry, first!, { latency: { kind: 'fixed', ms: 1 } });
    cluster.advance(500_000); // past the forward's deadline (4 × 300 ms)
    expect(deleted?.status).toBe('info'); // "outcome unknown"

    // The client reads the key and writes over it with the read's context: acknowledged.
    const read = cluster.awaitGet(entry, 'doc', { r: 2 });
    expect(read.strings).toEqual(['v0']);
    expect(cluster.awaitPut(entry, 'doc', 'v1', { w: 2, context: read.context }).status).toBe('ok');

    cluster.advance(5_000_000); // the held-up delete, and its cancel, reach `first` at 3 s
    expect(cluster.node(first!)!.counters.forwardsCancelled).toBe(1);
    expect(cluster.awaitGet(entry, 'doc', { r: 3 }).strings).toEqual(['v1']);
  });

  it('a cancel whose write never came is forgotten after a few deadlines: a later write reusing the id runs', () => {
    // Found by a review: such a cancel was kept until 8 192 more had come, and refused a fresh write — a plain
    // put too — whose id an entry node's wrapping (or restarted, randomly started) counter came round to.
    const cluster = new SimCluster({ seed: 7, nodes: 4, n: 3, r: 2, w: 2, requestTimeoutMicros: 300_000 });
    let key = '';
    let entry = '';
    for (let i = 0; entry === ''; i++) {
      const owners = cluster.owners(`k${i}`);
      const outside = cluster.ids.find((id) => !owners.includes(id));
      if (outside !== undefined) [key, entry] = [`k${i}`, outside];
    }
    const coordinator = cluster.owners(key)[0]!;
    const internals = (id: string) => cluster.node(id) as unknown as { nextRequestId: number; cancelledBeforeArrival: Map<string, number> };
    // The forwarded write is lost on the way; its cancel is not.
    cluster.network.setLinkOverride(entry, coordinator, { lossProbability: 1 });
    const id = internals(entry).nextRequestId;
    let lost: WriteResult | undefined;
    cluster.put(entry, key, 'lost', {}, (result) => (lost = result));
    cluster.advance(100_000);
    cluster.network.setLinkOverride(entry, coordinator, { lossProbability: 0 });
    cluster.advance(2_000_000);
    expect(lost?.status).toBe('info');
    expect(internals(coordinator).cancelledBeforeArrival.size).toBe(1);
    // Much later the entry node's counter comes round to the same id (set here).
    cluster.advance(30_000_000);
    internals(entry).nextRequestId = id;
    const fresh = cluster.awaitPut(entry, key, 'v2');
    expect(fresh.status, fresh.error).toBe('ok');
    expect(cluster.awaitGet(entry, key, { r: 3 }).strings).toEqual(['v2']);
  });
});
