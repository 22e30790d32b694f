/**
 * Ring state: who is in the cluster, in what phase, and the rings derived from that — pure data and pure
 * functions, so every node that has seen the same updates derives the same ring, byte for byte.
 *
 * ## The record and who writes it
 * A member record is `(id, weight, status, version)`. Only the member itself ever changes its own record (a
 * join, a finished transfer, a leave all happen *at* that node), each time with `version + 1`. So two different
 * records with one id and one version are normally impossible; they can appear only if a node forgot its own
 * state (a restart before it re-learned it by gossip). For that case the merge still needs a total order:
 * higher version wins, then the later status (joining < active < leaving < left), then the larger weight.
 * Merge is therefore a per-member max under a total order — commutative, associative and idempotent, a
 * join-semilattice — which is what lets gossip deliver updates in any order, any number of times.
 *
 * ## Statuses and the two rings
 *     joining ──(its ranges copied in)──▶ active ──(leave)──▶ leaving ──(its ranges handed off)──▶ left
 * - **placement ring** = active + leaving members: the preference lists every read and write uses now. A
 *   joining node is not in it (it holds nothing yet); a leaving node still is (it still holds its ranges).
 * - **target ring** = active + joining members: where placement goes once every transfer in flight is done.
 *   `movedRanges(placement, target)` is exactly the data that must move.
 * A `left` record is kept (a tombstone), so a stale gossip message cannot bring the member back.
 */
import type { NodeId } from '../env';
import { buildRing, type Member, type PartitionStrategy, type Ring } from '../ring';

export type MemberStatus = 'joining' | 'active' | 'leaving' | 'left';

/** Rank of a status in the merge's tie-break (and in a member's life: it only moves forward). */
export const STATUS_RANK: Readonly<Record<MemberStatus, number>> = { joining: 0, active: 1, leaving: 2, left: 3 };
export const STATUSES: readonly MemberStatus[] = ['joining', 'active', 'leaving', 'left'];

export interface MemberRecord {
  readonly id: NodeId;
  readonly weight: number;
  readonly status: MemberStatus;
  readonly version: number;
}

/** Records sorted by id (code-unit order), one per id. Immutable: every operation returns a new state. */
export interface RingState {
  readonly records: readonly MemberRecord[];
}

export const EMPTY_STATE: RingState = { records: [] };

/** The state of a cluster started from a static list: every member active at version 0. */
export function initialState(members: readonly Member[]): RingState {
  return fromRecords(members.map((m) => ({ id: m.id, weight: m.weight ?? 1, status: 'active' as const, version: 0 })));
}

/** Total order on two records of the same member: > 0 when `a` wins. */
export function compareRecords(a: MemberRecord, b: MemberRecord): number {
  if (a.version !== b.version) return a.version - b.version;
  if (a.status !== b.status) return STATUS_RANK[a.status] - STATUS_RANK[b.status];
  return a.weight - b.weight;
}

/** Builds a state from records in any order, keeping the winning record per id. */
export function fromRecords(records: readonly MemberRecord[]): RingState {
  const byId = new Map<NodeId, MemberRecord>();
  for (const record of records) {
    assertRecord(record);
    const held = byId.get(record.id);
    if (held === undefined || compareRecords(record, held) > 0) byId.set(record.id, record);
  }
  const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { records: sorted };
}

/** The least upper bound of two states: per member, the winning record. */
export function mergeStates(a: RingState, b: RingState): RingState {
  if (b.records.length === 0) return a;
  if (a.records.length === 0) return b;
  return fromRecords([...a.records, ...b.records]);
}

/** `state` with `incoming` merged in, and the records that changed it (empty when nothing was new). */
export function applyRecords(state: RingState, incoming: readonly MemberRecord[]): { state: RingState; changed: MemberRecord[] } {
  const changed: MemberRecord[] = [];
  for (const record of incoming) {
    const held = recordOf(state, record.id);
    if (held === undefined || compareRecords(record, held) > 0) changed.push(record);
  }
  if (changed.length === 0) return { state, changed };
  return { state: fromRecords([...state.records, ...changed]), changed };
}

export function recordOf(state: RingState, id: NodeId): MemberRecord | undefined {
  const records = state.records;
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midId = records[mid]!.id;
    if (midId === id) return records[mid];
    if (midId < id) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

/**
 * `id`'s record moved to `status` (and `weight`, if given) at the next version — the only way a node changes
 * its own record. A status never moves backwards (a `left` member that comes back would need a new id).
 */
export function withStatus(state: RingState, id: NodeId, status: MemberStatus, weight?: number): RingState {
  const held = recordOf(state, id);
  if (held !== undefined && STATUS_RANK[status] < STATUS_RANK[held.status]) {
    throw new Error(`ring state: ${id} cannot go from ${held.status} back to ${status}`);
  }
  const record: MemberRecord = { id, weight: weight ?? held?.weight ?? 1, status, version: (held?.version ?? 0) + 1 };
  return fromRecords([...state.records.filter((r) => r.id !== id), record]);
}

/**
 * What this state holds that beats `theirs` (a peer's records): members the peer has not heard of, or whose
 * record here wins the merge order. Gossip sends whole records rather than (id, version) digests — a record is
 * about 15 bytes, and comparing whole records settles the forgotten-state tie (equal versions, different
 * records) in the same exchange instead of never.
 */
export function newerThan(state: RingState, theirs: readonly MemberRecord[]): MemberRecord[] {
  const peer = fromRecords(theirs);
  const out: MemberRecord[] = [];
  for (const record of state.records) {
    const held = recordOf(peer, record.id);
    if (held === undefined || compareRecords(record, held) > 0) out.push(record);
  }
  return out;
}

/** Members that hold ranges now (active + leaving), in canonical order. */
export function placementMembers(state: RingState): Member[] {
  return state.records.filter((r) => r.status === 'active' || r.status === 'leaving').map((r) => ({ id: r.id, weight: r.weight }));
}

/** Members that will hold ranges once transfers in flight finish (active + joining): every change done. */
export function targetMembers(state: RingState): Member[] {
  return placementAfter(state, new Set(changingMembers(state)));
}

/** True while some member is joining or leaving: placement and target rings differ. */
export function inTransition(state: RingState): boolean {
  return state.records.some((r) => r.status === 'joining' || r.status === 'leaving');
}

/** Members whose change is in flight (joining or leaving), in canonical order. */
export function changingMembers(state: RingState): NodeId[] {
  return state.records.filter((r) => r.status === 'joining' || r.status === 'leaving').map((r) => r.id);
}

/**
 * The placement members once the changes of the members in `done` have completed and no other: a joining
 * member in `done` is placed (active), a leaving one is not (left). With nothing done this is the placement,
 * with every change done the target. Several changes in flight complete one at a time, in an order no node
 * knows in advance, so the placement ring passes through some of these in between (found by a review: see
 * membership.ts, "Several changes in flight").
 */
export function placementAfter(state: RingState, done: ReadonlySet<NodeId>): Member[] {
  return state.records
    .filter((r) => r.status === 'active' || (r.status === 'leaving' && !done.has(r.id)) || (r.status === 'joining' && done.has(r.id)))
    .map((r) => ({ id: r.id, weight: r.weight }));
}

/** Above this many changes, `orderSubsets` stops listing every subset (2^k rings to build and compare). */
export const MAX_ORDERED_CHANGES = 4;

/**
 * The sets of changes that may have completed, in some order, out of `ids`: every subset (the empty one
 * first), or — past MAX_ORDERED_CHANGES of them — only those of the changes completing one at a time at
 * either end (none, each alone, all but each one, all). The rings a placement passes through are then not all
 * covered; a known gap, for more changes in flight at once than a cluster normally makes.
 */
export function orderSubsets(ids: readonly NodeId[]): NodeId[][] {
  if (ids.length <= MAX_ORDERED_CHANGES) {
    const out: NodeId[][] = [];
    for (let mask = 0; mask < 1 << ids.length; mask++) out.push(ids.filter((_, i) => (mask & (1 << i)) !== 0));
    return out;
  }
  return [[], ...ids.map((id) => [id]), ...ids.map((id) => ids.filter((other) => other !== id)), [...ids]];
}

/** The ring every read and write uses now. */
export function placementRing(state: RingState, strategy?: PartitionStrategy): Ring {
  return buildRing(placementMembers(state), strategy);
}

/** Sum of member versions: a cheap summary for "have all nodes seen the same updates?" figures. */
export function versionSum(state: RingState): number {
  let sum = 0;
  for (const r of state.records) sum += r.version;
  return sum;
}

/** A stable text fingerprint of the state (equal states give equal strings). */
export function fingerprint(state: RingState): string {
  return state.records.map((r) => `${r.id}:${r.version}:${r.status}:${r.weight}`).join(',');
}

function assertRecord(record: MemberRecord): void {
  if (!(Number.isInteger(record.version) && record.version >= 0)) throw new Error(`ring state: ${record.id} has bad version ${record.version}`);
  if (!(record.weight > 0 && Number.isFinite(record.weight))) throw new Error(`ring state: ${record.id} has bad weight ${record.weight}`);
  if (!(record.status in STATUS_RANK)) throw new Error(`ring state: ${record.id} has unknown status ${String(record.status)}`);
  if (record.id.length === 0) throw new Error('ring state: empty member id');
}
