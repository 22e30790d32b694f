import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';

/**
 * A coordinator keeps one hint per silent owner per write. Found by a review: once W was met, the substitute
 * step stored a hint for the silent owner, and the deadline stored it again for the same owner — a second
 * data-record and hint write with its fsync, hintsRefreshed counting a refresh nobody asked for, and the hint
 * offered again.
 */
describe('a write leaves one hint per silent owner', () => {
  it('one owner cut off, W met by the others: the coordinator stores its hint once', () => {
    const c = new SimCluster({ seed: 1, nodes: 3, n: 3, r: 2, w: 2 });
    const key = 'k';
    const [coordinator, , silent] = c.owners(key) as [string, string, string];
    c.network.partition([[silent]]);
    const before = c.counterTotals();
    expect(c.awaitPut(coordinator, key, 'v1').status).toBe('ok');
    c.advance(2_000_000); // past the substitute step and the deadline
    const after = c.counterTotals();
    expect(after.hintsStored - before.hintsStored, 'hints stored').toBe(1);
    expect(after.hintsRefreshed - before.hintsRefreshed, 'hints refreshed').toBe(0);
    // The coordinator's own copy, the reachable owner's, and the hint.
    expect(after.replicaWrites - before.replicaWrites, 'replica writes').toBe(3);
    expect(c.node(coordinator)!.pendingHintCount(silent)).toBe(1);

    c.network.heal();
    c.advance(5_000_000);
    const healed = c.counterTotals();
    expect(healed.hintsDelivered - before.hintsDelivered).toBe(1);
    expect(c.upNodes().reduce((sum, id) => sum + c.node(id)!.pendingHintCount(), 0)).toBe(0);
    expect(c.localValues(silent, key)).toEqual(['v1']);
  });
});
