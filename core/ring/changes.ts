/**
 * Ring changes as pure functions, and the ranges they move.
 *
 * For strategies 1 and 2 a node's tokens depend only on its id and weight, so a join or leave is just a rebuild
 * over the new member list — the result equals what every other node builds from the same list. For strategy 3
 * the assignment is history: a joining node *steals* exactly its quota from the nodes furthest above theirs, a
 * leaving node's partitions go to the nodes furthest below theirs, and nothing else moves.
 *
 * `movedRanges(old, new, n)` cuts the ring at every boundary of either ring; on each elementary arc both rings
 * have a constant preference list, so the arcs whose replica set changed are exactly the data that must move:
 * every node in `gained` must fetch the arc from some node in `from` (all of which held it).
 */
import type { NodeId } from '../env';
import { type Member, type Ring, type RingNode, assertRingInvariants, lookupPosition, nodeIndex, partitionEnd,
  preferenceIndicesAt, ringMembers } from './ring';
import { buildRing, canonicalMembers, largestRemainder } from './strategies';
import { indexHash } from './tokens';
import { utf8 } from './hash';
import { type RingRange, RING_SIZE } from './range';

/** The ring with `member` added. Throws if it is already a member. */
export function addNode(ring: Ring, member: Member): Ring {
  if (nodeIndex(ring, member.id) >= 0) throw new RangeError(`ring: node ${member.id} is already a member`);
  const members = [...ringMembers(ring), member];
  if (ring.strategy.kind !== 'equal-partitions' || ring.nodes.length === 0) return buildRing(members, ring.strategy);
  return stealPartitions(ring, members, member.id);
}

/** The ring without node `id`. Throws if it is not a member. */
export function removeNode(ring: Ring, id: NodeId): Ring {
  if (nodeIndex(ring, id) < 0) throw new RangeError(`ring: node ${id} is not a member`);
  const members = ringMembers(ring).filter((m) => m.id !== id);
  if (ring.strategy.kind !== 'equal-partitions' || members.length === 0) return buildRing(members, ring.strategy);
  return giveAwayPartitions(ring, members, id);
}

/** Maps old node indices to indices in the new canonical node list (-1 for a removed node). */
function remap(oldNodes: readonly RingNode[], newIds: readonly NodeId[]): Int32Array {
  const map = new Int32Array(oldNodes.length);
  let j = 0;
  for (let i = 0; i < oldNodes.length; i++) {
    while (j < newIds.length && newIds[j]! < oldNodes[i]!.id) j++;
    map[i] = j < newIds.length && newIds[j] === oldNodes[i]!.id ? j : -1;
  }
  return map;
}

function finishEqualPartitions(ring: Ring, canon: { id: NodeId; weight: number }[], owners: Uint32Array): Ring {
  const counts = new Array<number>(canon.length).fill(0);
  for (let p = 0; p < owners.length; p++) counts[owners[p]!]!++;
  const nodes: RingNode[] = canon.map((m, n) => ({ id: m.id, weight: m.weight, tokenCount: counts[n]! }));
  const next: Ring = { strategy: ring.strategy, nodes, tokens: ring.tokens, owners, snapPartitions: 0 };
  assertRingInvariants(next);
  return next;
}

function stealPartitions(ring: Ring, members: Member[], newId: NodeId): Ring {
  const canon = canonicalMembers(members);
  const ids = canon.map((m) => m.id);
  const map = remap(ring.nodes, ids);
  const q = ring.owners.length;
  const owners = new Uint32Array(q);
  for (let p = 0; p < q; p++) owners[p] = map[ring.owners[p]!]!;
  const target = ids.indexOf(newId);
  const quotas = largestRemainder(q, canon.map((m) => m.weight));
  const counts = new Array<number>(canon.length).fill(0);
  for (let p = 0; p < q; p++) counts[owners[p]!]!++;
  // Take the newcomer's quota one partition at a time from whoever is furthest above quota (ties: lower index),
  // which keeps every donor within one partition of its own quota.
  const give = new Array<number>(canon.length).fill(0);
  for (let need = quotas[target]!; need > 0; need--) {
    let best = -1;
    let bestSurplus = 0;
    for (let n = 0; n < canon.length; n++) {
      const surplus = counts[n]! - give[n]! - quotas[n]!;
      if (n !== target && surplus > bestSurplus) { best = n; bestSurplus = surplus; }
    }
    if (best < 0) break; // cannot happen: surpluses sum to the newcomer's quota
    give[best]!++;
  }
  // Which partitions a donor gives: those ranked lowest by hash(newcomer, partition) — deterministic and
  // scattered, so the newcomer's partitions are spread round the ring.
  const label = utf8(newId);
  const byDonor = new Map<number, number[]>();
  for (let p = 0; p < q; p++) {
    const o = owners[p]!;
    if (give[o]! > 0) {
      let list = byDonor.get(o);
      if (!list) byDonor.set(o, (list = []));
      list.push(p);
    }
  }
  for (const [donor, parts] of byDonor) {
    const ranked = parts.map((p) => ({ p, h: indexHash(label, p) }));
    ranked.sort((a, b) => (a.h - b.h) || (a.p - b.p));
    for (let j = 0; j < give[donor]!; j++) owners[ranked[j]!.p] = target;
  }
  return finishEqualPartitions(ring, canon, owners);
}

function giveAwayPartitions(ring: Ring, members: Member[], goneId: NodeId): Ring {
  const canon = canonicalMembers(members);
  const ids = canon.map((m) => m.id);
  const map = remap(ring.nodes, ids);
  const q = ring.owners.length;
  const owners = new Uint32Array(q);
  const orphans: number[] = [];
  for (let p = 0; p < q; p++) {
    const o = map[ring.owners[p]!]!;
    if (o < 0) orphans.push(p);
    else owners[p] = o;
  }
  const quotas = largestRemainder(q, canon.map((m) => m.weight));
  const counts = new Array<number>(canon.length).fill(0);
  for (let p = 0; p < q; p++) if (map[ring.owners[p]!]! >= 0) counts[owners[p]!]!++;
  // Each orphan goes to the node furthest below its quota (ties: lower index).
  const label = utf8(goneId);
  const ranked = orphans.map((p) => ({ p, h: indexHash(label, p) }));
  ranked.sort((a, b) => (a.h - b.h) || (a.p - b.p));
  for (const { p } of ranked) {
    let best = 0;
    let bestDeficit = -Infinity;
    for (let n = 0; n < canon.length; n++) {
      const deficit = quotas[n]! - counts[n]!;
      if (deficit > bestDeficit) { best = n; bestDeficit = deficit; }
    }
    owners[p] = best;
    counts[best]!++;
  }
  return finishEqualPartitions(ring, canon, owners);
}

/**
 * The ends of the ring's elementary arcs, ascending and unique: on (end[i-1], end[i]] the preference list is
 * constant. Tokens for strategies 1 and 3; the Q partition ends for strategy 2.
 */
export function arcEnds(ring: Ring): Uint32Array {
  if (ring.tokens.length === 0) return new Uint32Array(0);
  if (ring.snapPartitions > 0) {
    const q = ring.snapPartitions;
    const ends = new Uint32Array(q);
    for (let p = 0; p < q; p++) ends[p] = partitionEnd(p, q);
    return ends;
  }
  const t = ring.tokens;
  let unique = 0;
  for (let i = 0; i < t.length; i++) if (i === 0 || t[i] !== t[i - 1]) unique++;
  const ends = new Uint32Array(unique);
  let k = 0;
  for (let i = 0; i < t.length; i++) if (i === 0 || t[i] !== t[i - 1]) ends[k++] = t[i]!;
  return ends;
}

function mergeUnique(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    const v = x <= y ? x : y;
    if (x === v) i++;
    if (y === v) j++;
    if (k === 0 || out[k - 1] !== v) out[k++] = v;
  }
  return out.subarray(0, k);
}

/** Calls `visit` for each elementary arc of the ring with its preference list (node indices, first n). */
export function forEachArc(ring: Ring, n: number, visit: (range: RingRange, preference: number[]) => void): void {
  const ends = arcEnds(ring);
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const start = i === 0 ? ends[ends.length - 1]! : ends[i - 1]!;
    visit({ start, end }, preferenceIndicesAt(ring, lookupPosition(ring, end), n));
  }
}

/** One arc whose replica set differs between two rings. */
export interface RangeTransfer {
  readonly range: RingRange;
  /** Preference list (first n) in the old ring: every one of these held the data. */
  readonly from: readonly NodeId[];
  /** Preference list (first n) in the new ring. */
  readonly to: readonly NodeId[];
  /** Nodes in `to` but not `from`: they must receive the range. */
  readonly gained: readonly NodeId[];
  /** Nodes in `from` but not `to`: they may drop the range once it is safely transferred. */
  readonly lost: readonly NodeId[];
}

function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The arcs whose set of n replicas differs between `oldRing` and `newRing` (a change of order alone is not a
 * transfer). Adjacent arcs with identical from/to are coalesced. Positions are raw key positions.
 */
export function movedRanges(oldRing: Ring, newRing: Ring, n: number): RangeTransfer[] {
  const ends = mergeUnique(arcEnds(oldRing), arcEnds(newRing));
  const out: RangeTransfer[] = [];
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const start = i === 0 ? ends[ends.length - 1]! : ends[i - 1]!;
    // Every arc end of either ring is a cut, so both preference lists are constant on (start, end].
    const from = preferenceIndicesAt(oldRing, lookupPosition(oldRing, end), n).map((x) => oldRing.nodes[x]!.id);
    const to = preferenceIndicesAt(newRing, lookupPosition(newRing, end), n).map((x) => newRing.nodes[x]!.id);
    const gained = to.filter((x) => !from.includes(x));
    const lost = from.filter((x) => !to.includes(x));
    if (gained.length === 0 && lost.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.range.end === start && sameList(last.from, from) && sameList(last.to, to)) {
      out[out.length - 1] = { ...last, range: { start: last.range.start, end } };
    } else {
      out.push({ range: { start, end }, from, to, gained, lost });
    }
  }
  return out;
}

/** Fraction of the ring covered by a list of transfers. */
export function movedFraction(transfers: readonly RangeTransfer[]): number {
  let total = 0;
  for (const t of transfers) {
    const d = t.range.end - t.range.start;
    total += d > 0 ? d : d + RING_SIZE;
  }
  return total / RING_SIZE;
}
