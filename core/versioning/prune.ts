/**
 * Bounding clock size — Riak's vclock pruning rule, adapted to dotted version vector sets.
 *
 * A key written through many coordinators over its life accumulates one clock entry per writer. Policy (Riak's
 * `small_vclock` / `big_vclock` / `young_vclock` / `old_vclock`): leave clocks of ≤ `smallEntries` alone;
 * otherwise look at the entries oldest first (by the writer's stamp `micros`) and drop each while it is not
 * younger than `youngMicros` and either the clock is still above `maxEntries` or the entry is older than
 * `oldMicros`. An entry whose actor still names a live sibling's dot is never dropped (that would break the
 * invariant that the clock covers every sibling), so the bound is soft: a clock can exceed `maxEntries` while it
 * has that many concurrent siblings, or that many entries younger than `youngMicros`.
 *
 * The trade-off, stated plainly: pruning forgets that this replica has *seen* some old events. It never drops a
 * value. What it can do is let an old, already-superseded version that still sits on some stale replica look
 * unseen again, so the next merge brings it back as a **false sibling** beside the very write that replaced it
 * (a dominated sibling: the stale-reads checker counts it a phantom read). And because dot counters skip ahead
 * to the writer's clock (dvv.ts), a writer whose entry was pruned cannot reuse an old dot (which *would* lose
 * data) unless its clock went backwards by more than the gap since its last write to the key.
 *
 * So the store prunes no entry younger than its tombstone grace (`prunePolicyForGrace`): a clock entry is what
 * supersedes the old version on a replica that missed the overwrite, as a tombstone is for a delete, and a
 * replica may be cut off for that long and still be repaired. Riak's 20 s `young_vclock` was not enough: in
 * partition-500 a hot key's owners were cut off for 40 s while every entry node on the other side coordinated
 * it as a stand-in under its own actor; the clock passed 50 entries, the writes 20 s into the partition pruned
 * the entry of a version written just before the cut, and a stand-in still holding it (with a hint for a
 * cut-off owner) kept it through the next merge and served it after the heal beside the writes that had read
 * and replaced it (test/core/replication/clock-pruning.test.ts).
 */
import type { SiblingSet } from './sibling-set';
import type { ClockEntry } from './version-vector';
import { compareActors } from './version-vector';

export interface PrunePolicy {
  /** Clocks with at most this many entries are never pruned (Riak small_vclock: 10). */
  readonly smallEntries: number;
  /** Prune oldest entries while above this many (Riak big_vclock: 50). */
  readonly maxEntries: number;
  /** Never prune an entry younger than this (Riak young_vclock: 20 s). */
  readonly youngMicros: number;
  /** Always prune (beyond smallEntries) entries older than this (Riak old_vclock: 1 day). */
  readonly oldMicros: number;
}

export const DEFAULT_PRUNE_POLICY: PrunePolicy = Object.freeze({
  smallEntries: 10,
  maxEntries: 50,
  youngMicros: 20_000_000,
  oldMicros: 86_400_000_000,
});

/** The set with old clock entries pruned per `policy`, judged at `nowMicros` (the pruning node's clock). */
export function prune(set: SiblingSet, nowMicros: number, policy: PrunePolicy = DEFAULT_PRUNE_POLICY): SiblingSet {
  const clock = set.clock;
  if (clock.length <= policy.smallEntries) return set;
  const pinned = new Set(set.versions.map((v) => v.dot.actor));
  const oldestFirst = [...clock].sort((a, b) => (a.micros - b.micros) || compareActors(a.actor, b.actor));
  const dropped = new Set<string>();
  let size = clock.length;
  for (const e of oldestFirst) {
    if (size <= policy.smallEntries) break;
    const age = nowMicros - e.micros;
    if (age < policy.youngMicros) break;
    if (!(size > policy.maxEntries || age > policy.oldMicros)) break;
    if (pinned.has(e.actor)) continue;
    dropped.add(e.actor);
    size--;
  }
  if (dropped.size === 0) return set;
  const kept: ClockEntry[] = clock.filter((e) => !dropped.has(e.actor));
  return { mode: set.mode, clock: kept, versions: set.versions };
}

/**
 * `base` with no entry pruned before it is `graceMicros` old (the storage's tombstone grace): a replica cut off
 * for less than the grace — which the store still repairs, hints and anti-entropy included — may hold a version
 * that only this entry marks as superseded, and without it that version would come back as a false sibling.
 * Past the grace the same hazard is accepted for deletes already (a dead record is purged then).
 */
export function prunePolicyForGrace(graceMicros: number, base: PrunePolicy = DEFAULT_PRUNE_POLICY): PrunePolicy {
  const youngMicros = Math.max(base.youngMicros, graceMicros);
  return Object.freeze({ ...base, youngMicros, oldMicros: Math.max(base.oldMicros, youngMicros) });
}
