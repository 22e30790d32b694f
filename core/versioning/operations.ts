/**
 * The mode-independent API the coordinator and replicas call: they hold a SiblingSet per key and never need to
 * know whether the bucket runs dotted version vectors or last-writer-wins.
 */
import { VersioningError } from './errors';
import type { SiblingSet, Write } from './sibling-set';
import { type ActorId, type VersionVector, EMPTY_VV } from './version-vector';
import { dvvDescends, dvvMerge, dvvUpdate } from './dvv';
import { lwwMerge, lwwUpdate } from './lww';
import { type PrunePolicy, DEFAULT_PRUNE_POLICY, prune } from './prune';

/** The causal context a get returns and a put/delete passes back. Opaque to clients (see codec.ts). */
export type Context = VersionVector;

export interface UpdateOptions {
  /** Clock pruning applied to the result, judged at the write's timestamp. Default: Riak's defaults. */
  readonly prune?: PrunePolicy | null;
  /** The least dot counter the writer may use: one past the highest it has issued as this actor (dvv.ts). */
  readonly minCounter?: number;
}

/**
 * A put or delete at the coordinating replica. `local` is the writer's stored set for the key, `context` what
 * the client got from a get (EMPTY_CONTEXT for a blind write; ignored under LWW), `writer` this node's actor
 * id (see dvv.ts for the contract). Returns the set to store locally and send to the other replicas.
 */
export function update(
  local: SiblingSet, context: Context, write: Write, writer: ActorId, options: UpdateOptions = {},
): SiblingSet {
  if (local.mode === 'lww') return lwwUpdate(local, write, writer);
  const next = dvvUpdate(local, context, write, writer, options.minCounter ?? 0);
  const policy = options.prune === undefined ? DEFAULT_PRUNE_POLICY : options.prune;
  return policy === null ? next : prune(next, write.timestampMicros, policy);
}

/** Reconciles two replicas' sets for the same key (read repair, handoff, anti-entropy, replica apply). */
export function merge(a: SiblingSet, b: SiblingSet): SiblingSet {
  if (a.mode !== b.mode) throw new VersioningError(`cannot merge a ${a.mode} set with a ${b.mode} set`);
  return a.mode === 'dvv' ? dvvMerge(a, b) : lwwMerge(a, b);
}

/** Merges any number of sets (e.g. the R replies of a read); `mode` is used when the list is empty. */
export function mergeAll(sets: readonly SiblingSet[], mode: SiblingSet['mode']): SiblingSet {
  let acc: SiblingSet = { mode, clock: EMPTY_VV, versions: [] };
  for (const s of sets) acc = merge(acc, s);
  return acc;
}

export const EMPTY_CONTEXT: Context = EMPTY_VV;

/**
 * The context to hand a client with a get: the join of everything the set has seen. Passing it back on a put
 * supersedes every sibling the client was shown. Empty under LWW (which has no causality; use `etag` for CAS).
 */
export function contextOf(set: SiblingSet): Context {
  return set.clock;
}

/** True if `newer` has seen everything in `older` — the read-repair test ("does this replica need the merge?"). */
export function setDescends(newer: SiblingSet, older: SiblingSet): boolean {
  // DVV: the same answer without building the merge (every read's settle asks it once per reply).
  if (newer.mode === 'dvv' && older.mode === 'dvv') return dvvDescends(newer, older);
  const m = merge(newer, older);
  return m.versions.length === newer.versions.length &&
    m.versions.every((v, i) => v === newer.versions[i]) &&
    m.clock.length === newer.clock.length && m.clock.every((e, i) => e.counter === newer.clock[i]!.counter);
}

/** Read repair test: true if a replica holding `replica` lacks something in `merged` and should be sent it. */
export function needsRepair(replica: SiblingSet, merged: SiblingSet): boolean {
  return !setDescends(replica, merged);
}
