/**
 * Last-writer-wins — `mode: 'lww'`, Cassandra's rule.
 *
 * Each version is stamped with the coordinating node's *local* clock (µs) and the writer's id; replicas keep the
 * single greatest (timestamp, writer, then content as a final tiebreak so the order is total and merge is
 * commutative). Nothing else: no causal context, no siblings.
 *
 * That is exactly its failure, and this module reproduces it faithfully rather than papering over it: if node A's
 * clock runs 50 ms fast and writes "x" at true time t, and node B (correct clock) writes "y" at t + 10 ms, then
 * "x" carries the larger timestamp and "y" — acknowledged to its client — is silently discarded everywhere.
 */
import { VersioningError } from './errors';
import type { SiblingSet, Version, Write } from './sibling-set';
import { compareBytes } from './sibling-set';
import { type ActorId, EMPTY_VV, compareActors } from './version-vector';
import { versionOf } from './dvv';

/** Total order on LWW versions: timestamp, then writer id, then tombstone-wins, then expiry, then value bytes. */
export function compareLww(a: Version, b: Version): number {
  if (a.timestampMicros !== b.timestampMicros) return a.timestampMicros < b.timestampMicros ? -1 : 1;
  const byWriter = compareActors(a.dot.actor, b.dot.actor);
  if (byWriter !== 0) return byWriter;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  const ea = a.expiresAtMicros ?? Number.MAX_SAFE_INTEGER;
  const eb = b.expiresAtMicros ?? Number.MAX_SAFE_INTEGER;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return compareBytes(a.value, b.value);
}

function winner(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareLww(a, b) >= 0 ? a : b;
}

function single(v: Version | undefined): SiblingSet {
  return { mode: 'lww', clock: EMPTY_VV, versions: v === undefined ? [] : [v] };
}

/** A write in LWW mode: keeps whichever of the stored and new version is greater. Context is ignored. */
export function lwwUpdate(local: SiblingSet, write: Write, writer: ActorId): SiblingSet {
  if (local.mode !== 'lww') throw new VersioningError(`lwwUpdate on a ${local.mode} set`);
  if (writer.length === 0) throw new VersioningError('writer id must be non-empty');
  return single(winner(local.versions[0], versionOf(write, writer, 0)));
}

export function lwwMerge(a: SiblingSet, b: SiblingSet): SiblingSet {
  if (a.mode !== 'lww' || b.mode !== 'lww') throw new VersioningError(`lwwMerge of ${a.mode} and ${b.mode} sets`);
  return single(winner(a.versions[0], b.versions[0]));
}
