/**
 * Dotted version vector sets — the server-side causality of `mode: 'dvv'`.
 *
 * State per key at a replica: `clock` (every event seen) and `versions` (values not yet superseded, each tagged
 * with the dot that created it). Two rules give all of Dynamo's behaviour without Riak's sibling explosion:
 *
 * - **update** (a write at the coordinating replica): the new value gets a fresh dot from the writer; the
 *   siblings covered by the client's context are superseded; the rest stay as siblings — they are concurrent
 *   with this write. Because the dot, not the whole clock, identifies the value, a client that writes blindly
 *   (no context) over and over adds *one* sibling per write, not one per (actor × history) as classic vector
 *   clocks with client ids did.
 * - **merge** (read repair, hinted handoff, anti-entropy, replication): union of clocks; a version survives
 *   iff the other side also holds it or has never seen its dot. So a value is dropped only when some replica
 *   *saw* it and then superseded it — never because a peer merely lacks it. This is a lattice join:
 *   commutative, associative, idempotent (the tests check all three).
 *
 * ## The writer (actor) contract — read this before calling `update`
 * Dots must be unique: one (actor, counter) must never name two different values. `update` takes counters
 * from the replica's *stored* state for the key, so:
 * 1. the writer id must be the node whose stored state `local` is, and updates for one key at that node must
 *    be serialised (read-modify-write, then store the result before the next update);
 * 2. a node that may have lost its state for a key (wiped disk, or a fallback that handed its hinted data off
 *    and deleted it) must not reuse dots. Counters here skip ahead to the writer's clock — counter =
 *    max(local + 1, context + 1, write timestamp µs) — so a writer whose clock moves forward never reuses a
 *    counter even after forgetting its entry (and pruning, prune.ts, is safe for the same reason). Clocks do
 *    step back, though (NTP), and a counter can run ahead of its writer's clock (a conditional write is stamped
 *    after the version it replaces, whose writer's clock may be fast): so the writer also passes a floor, one
 *    past the highest counter it has issued under this actor (`minCounter`, kept in memory — the node takes a
 *    new actor, `${nodeId}#${epoch}.${nonce}`, on every start, so the floor need not survive a restart). Found
 *    by a review: without the floor, a writer whose dead record for a key was purged drew a counter from a
 *    stepped-back clock below one it had issued; a replica still holding that dead record counted the new dot
 *    as seen, and an acknowledged write was dropped.
 * `merge` throws a VersioningError if it ever meets one dot carrying two different values, rather than
 * silently keep one of them.
 *
 * Contexts come from the store (a get's `contextOf`); a forged context with inflated counters can hide writes.
 */
import { VersioningError } from './errors';
import type { SiblingSet, Version, Write } from './sibling-set';
import { sameContent } from './sibling-set';
import {
  type ActorId, type VersionVector, compareDots, counterOf, covers, mergeVV, withEntry,
} from './version-vector';

const EMPTY_VALUE = new Uint8Array(0);

/** Normalises and validates a write (safe-integer times; tombstones carry no value). */
export function versionOf(write: Write, actor: ActorId, counter: number): Version {
  if (!(write.value instanceof Uint8Array)) throw new VersioningError('write value must be a Uint8Array');
  if (!Number.isSafeInteger(write.timestampMicros)) {
    throw new VersioningError(`write timestamp must be a safe integer of µs, got ${write.timestampMicros}`);
  }
  const expires = write.expiresAtMicros ?? null;
  if (expires !== null && !Number.isSafeInteger(expires)) {
    throw new VersioningError(`write expiry must be a safe integer of µs or null, got ${expires}`);
  }
  const deleted = write.deleted === true;
  if (deleted && write.value.length > 0) throw new VersioningError('a tombstone carries no value');
  return {
    dot: { actor, counter },
    value: deleted ? EMPTY_VALUE : write.value,
    deleted,
    timestampMicros: write.timestampMicros,
    expiresAtMicros: expires,
  };
}

/** The dot counter for a new event of `writer` (see the writer contract above); never below `minCounter`. */
export function nextCounter(local: VersionVector, context: VersionVector, writer: ActorId, timestampMicros: number, minCounter = 0): number {
  const counter = Math.max(counterOf(local, writer) + 1, counterOf(context, writer) + 1, timestampMicros, minCounter);
  if (!Number.isSafeInteger(counter)) throw new VersioningError(`dot counter overflow for ${writer}`);
  return counter;
}

/**
 * A write at the coordinating replica: `local` is its stored set, `context` what the client read (empty for a
 * blind write). Returns the new set to store and replicate. The new version is always present in the result.
 */
export function dvvUpdate(local: SiblingSet, context: VersionVector, write: Write, writer: ActorId, minCounter = 0): SiblingSet {
  if (local.mode !== 'dvv') throw new VersioningError(`dvvUpdate on a ${local.mode} set`);
  if (writer.length === 0) throw new VersioningError('writer id must be non-empty');
  const counter = nextCounter(local.clock, context, writer, write.timestampMicros, minCounter);
  const fresh = versionOf(write, writer, counter);
  const kept = local.versions.filter((v) => !covers(context, v.dot));
  const versions = [...kept, fresh].sort((a, b) => compareDots(a.dot, b.dot));
  const clock = withEntry(mergeVV(local.clock, context), writer, counter, write.timestampMicros);
  return { mode: 'dvv', clock, versions };
}

/** Join of two replicas' sets for the same key (see the module comment for the survival rule). */
export function dvvMerge(a: SiblingSet, b: SiblingSet): SiblingSet {
  if (a.mode !== 'dvv' || b.mode !== 'dvv') throw new VersioningError(`dvvMerge of ${a.mode} and ${b.mode} sets`);
  if (a === b) return a;
  const out: Version[] = [];
  const av = a.versions, bv = b.versions;
  let i = 0, j = 0;
  while (i < av.length || j < bv.length) {
    const x = av[i], y = bv[j];
    const c = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (c === 0) {
      // The same object on both sides (e.g. a reply checked against the merge made from it) needs no compare.
      if (x !== y && !sameContent(x!, y!)) {
        throw new VersioningError(`dot ${x!.dot.actor}:${x!.dot.counter} names two different versions (dot reuse)`);
      }
      out.push(x!);
      i++; j++;
    } else if (c < 0) {
      if (!covers(b.clock, x!.dot)) out.push(x!);
      i++;
    } else {
      if (!covers(a.clock, y!.dot)) out.push(y!);
      j++;
    }
  }
  return { mode: 'dvv', clock: mergeVV(a.clock, b.clock), versions: out };
}

/**
 * `merge(newer, older)` equals `newer` — the read-repair question — answered without building the merge:
 * same result, and the same VersioningError on a reused dot, as comparing against `dvvMerge(newer, older)`
 * (versions identical objects in the same order, clock counters equal).
 */
export function dvvDescends(newer: SiblingSet, older: SiblingSet): boolean {
  if (newer.mode !== 'dvv' || older.mode !== 'dvv') throw new VersioningError(`dvvMerge of ${newer.mode} and ${older.mode} sets`);
  if (newer === older) return true;
  // Versions: the merge keeps every common version (newer's object), a newer-only version unless older's clock
  // covers it, an older-only version unless newer's clock covers it. Walk to the end even once the answer is
  // "no", so that a reused dot anywhere throws exactly as the merge would.
  let same = true;
  const av = newer.versions, bv = older.versions;
  let i = 0, j = 0;
  while (i < av.length || j < bv.length) {
    const x = av[i], y = bv[j];
    const c = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (c === 0) {
      if (x !== y && !sameContent(x!, y!)) {
        throw new VersioningError(`dot ${x!.dot.actor}:${x!.dot.counter} names two different versions (dot reuse)`);
      }
      i++; j++;
    } else if (c < 0) {
      if (same && covers(older.clock, x!.dot)) same = false;
      i++;
    } else {
      if (same && !covers(newer.clock, y!.dot)) same = false;
      j++;
    }
  }
  if (!same) return false;
  // Clock: the pointwise maximum has newer's counters iff every entry of older is in newer with a counter ≥ it.
  const a = newer.clock, b = older.clock;
  let k = 0;
  for (let m = 0; m < b.length; m++) {
    const y = b[m]!;
    while (k < a.length && a[k]!.actor < y.actor) k++;
    if (k >= a.length || a[k]!.actor !== y.actor || a[k]!.counter < y.counter) return false;
  }
  return true;
}
