import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';

/**
 * Clock pruning (core/versioning/prune.ts) forgets that a replica has seen an event. Found by partition-500 at
 * 10 K ops/s: a hot key's owners were all cut off for 40 s; on the other side every entry node coordinated the
 * key's writes as a stand-in under its own actor, so the clock passed 50 entries, and the writes made more
 * than 20 s into the partition pruned the entry of the owner that wrote a version just before the cut. A
 * stand-in still held that version (with a hint for a cut-off owner); the first pruned set it merged no longer
 * covered the version's dot, so it was kept, and after the heal reads showed it as a live sibling beside the
 * writes that had read and replaced it (12 phantom reads). Here the cut-off owners hold the old version, and
 * the pruned clock reaches them as a write's returned context.
 */
describe('clock pruning', () => {
  it('a version superseded while its replicas were cut off does not come back after the heal', () => {
    const cluster = new SimCluster({ seed: 11, nodes: 64, n: 3, r: 2, w: 2, hintIntervalMicros: 3_600_000_000 });
    const key = 'hot';
    const owners = cluster.owners(key);
    expect(cluster.awaitPut(owners[0]!, key, 'v0').status).toBe('ok');
    cluster.advance(1_000_000);
    for (const owner of owners) expect(cluster.localValues(owner, key), owner).toEqual(['v0']);
    const before = cluster.awaitGet(owners[0]!, key);
    expect(before.strings).toEqual(['v0']);

    // The owners are cut off, holding v0. Each write on the other side reads the key, then replaces what it
    // read, coordinated by its entry node as a stand-in (it suspects every owner): 60 actors over 30 s.
    cluster.network.partition([owners]);
    const entryNodes = cluster.ids.filter((id) => !owners.includes(id)).slice(0, 60);
    let context = before.context;
    let written: Uint8Array = new Uint8Array(0);
    for (const [i, via] of entryNodes.entries()) {
      const read = cluster.awaitGet(via, key);
      expect(read.status, `read ${i} via ${via}`).toBe('ok');
      if (i > 0) {
        expect(read.strings, `read ${i} via ${via}`).toEqual([`v${i}`]);
        context = read.context;
      }
      const result = cluster.awaitPut(via, key, `v${i + 1}`, { context });
      expect(result.status, `write ${i + 1} via ${via}`).toBe('ok');
      written = result.context;
      cluster.advance(500_000);
    }
    expect(written.length).toBeGreaterThan(0); // the last write left one version: its context supersedes it

    // After the heal, the last writer writes again with the context its write returned, through the first
    // owner — which still holds v0 (hint delivery, which would also merge the two sides, is held back here by a
    // long interval, so that what the owners hold is known).
    cluster.network.heal();
    cluster.advance(3_000_000); // every suspicion from the partition has expired
    expect(cluster.localValues(owners[0]!, key)).toEqual(['v0']);
    expect(cluster.awaitPut(owners[0]!, key, 'final', { context: written }).status).toBe('ok');
    // v1's context covered v0, and every later write's covered the one before: v0 is superseded for good.
    for (const via of [owners[0]!, entryNodes[0]!]) expect(cluster.awaitGet(via, key, { r: 3 }).strings, via).toEqual(['final']);
  });
});
