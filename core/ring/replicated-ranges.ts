/**
 * The ranges a node replicates: the arcs whose preference list (first n) includes it. Anti-entropy builds one
 * Merkle tree per such range, and a joining node fetches exactly these.
 */
import type { NodeId } from '../env';
import type { Ring } from './ring';
import { nodeIndex } from './ring';
import { forEachArc } from './changes';
import type { RingRange } from './range';

/** Arcs (coalesced where adjacent) for which `id` is one of the n replicas; [] if it is not a member. */
export function replicatedRanges(ring: Ring, id: NodeId, n: number): RingRange[] {
  const target = nodeIndex(ring, id);
  if (target < 0) return [];
  const out: RingRange[] = [];
  forEachArc(ring, n, (range, preference) => {
    if (!preference.includes(target)) return;
    const last = out[out.length - 1];
    if (last && last.end === range.start) out[out.length - 1] = { start: last.start, end: range.end };
    else out.push(range);
  });
  // The first and last arcs may join across position 0.
  if (out.length > 1) {
    const first = out[0]!;
    const last = out[out.length - 1]!;
    if (last.end === first.start) {
      out[0] = { start: last.start, end: first.end };
      out.pop();
    }
  }
  return out;
}
