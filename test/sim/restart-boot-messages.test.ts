import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';

/**
 * While a restarted node boots (engine open, epoch fsync), it has not registered its message handler yet.
 * Found by a review of the simulator: the network still held the crashed incarnation's handler, so messages to
 * the new incarnation ran in the dead node — which wrote to the disk, replied, and acknowledged a W=3 write the
 * new node never stored (an R=1 read through it then came back empty). A crash now drops the handler: messages
 * that arrive during the boot are lost, as to a real process that is not listening yet.
 */
describe('a node restarting', () => {
  it('does not let its crashed incarnation answer messages while the new one boots', () => {
    const cluster = new SimCluster({
      seed: 1, nodes: 3, n: 3, r: 1, w: 3, sloppyQuorum: false, readRepair: false, hintedHandoff: false,
      network: { latency: { kind: 'fixed', ms: 0.5 } },
      machine: () => ({ disk: { syncLatency: { kind: 'fixed', ms: 5 } } }),
    });
    cluster.crash('n1');
    let booted = false;
    cluster.restart('n1', () => (booted = true));
    const put = cluster.awaitPut('n0', 'k1', 'v', {});
    cluster.advance(1_000_000);
    expect(booted).toBe(true);
    // The replica write to n1 arrived while it booted and was lost: W=3 is not met (no sloppy quorum here),
    // and the answer says so — it is not acknowledged by a node that no longer exists.
    expect(put.status).toBe('info');
    expect(put.acks).toBe(2);
    expect(put.error).toMatch(/no answer from n1/);
    expect(cluster.localValues('n1', 'k1')).toEqual([]);
  });
});
