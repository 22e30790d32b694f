/**
 * What two replicas should agree on: the arcs of the ring whose preference list (first n) holds both.
 *
 * An exchange between replicas a and b covers exactly these arcs. `replicatedRanges(ring, a, n)` is every arc a
 * replicates; each of its arcs has its own preference list, so a peer b shares only some of them. Comparing
 * more than the shared arcs would report keys b is not meant to hold; comparing less leaves data unchecked.
 *
 * Pure; both sides compute the same set from the same ring (the relation is symmetric).
 */
import type { NodeId } from '../env';
import { forEachArc, nodeIndex, type RingRange, type Ring } from '../ring';

/** Peers of `self` and, per peer, the arcs both replicate (coalesced, in ring order). */
export function sharedRangesByPeer(ring: Ring, self: NodeId, n: number): Map<NodeId, RingRange[]> {
  const me = nodeIndex(ring, self);
  const out = new Map<NodeId, RingRange[]>();
  if (me < 0) return out;
  forEachArc(ring, n, (range, preference) => {
    if (!preference.includes(me)) return;
    for (const other of preference) {
      if (other === me) continue;
      const peer = ring.nodes[other]!.id;
      let arcs = out.get(peer);
      if (arcs === undefined) out.set(peer, (arcs = []));
      const last = arcs[arcs.length - 1];
      if (last !== undefined && last.end === range.start) arcs[arcs.length - 1] = { start: last.start, end: range.end };
      else arcs.push(range);
    }
  });
  return out;
}

/** The arcs `a` and `b` both replicate. */
export function sharedRanges(ring: Ring, a: NodeId, b: NodeId, n: number): RingRange[] {
  return sharedRangesByPeer(ring, a, n).get(b) ?? [];
}

/**
 * Membership test for a set of arcs in O(log arcs): the arcs are cut at position 0 into closed, non-wrapping
 * intervals [lo, hi] and kept sorted, so a key position is looked up by binary search.
 */
export class RangeSet {
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];

  constructor(ranges: readonly RingRange[]) {
    const intervals: [number, number][] = [];
    for (const { start, end } of ranges) {
      if (start === end) intervals.push([0, 0xffffffff]); // the whole ring
      else if (start < end) intervals.push([start + 1, end]);
      else {
        if (start < 0xffffffff) intervals.push([start + 1, 0xffffffff]);
        intervals.push([0, end]);
      }
    }
    intervals.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const [lo, hi] of intervals) {
      this.lo.push(lo);
      this.hi.push(hi);
    }
  }

  get empty(): boolean {
    return this.lo.length === 0;
  }

  contains(position: number): boolean {
    // The last interval starting at or before `position`, then any earlier one that still reaches it (intervals
    // from distinct arcs do not overlap, so checking the one found is enough).
    let a = 0;
    let b = this.lo.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.lo[mid]! <= position) a = mid + 1;
      else b = mid;
    }
    return a > 0 && position <= this.hi[a - 1]!;
  }
}
