/**
 * core/versioning — per-key causality and conflict resolution: dotted version vector sets (siblings, causal
 * contexts, tombstones, TTL), last-writer-wins, clock pruning, etags for compare-and-set, and the binary codec
 * for a stored sibling set. Pure and synchronous.
 */
export { VersioningError, CodecError, ContextKeyMismatchError } from './errors';
export {
  type ActorId, type ClockEntry, type VersionVector, type Dot, type Ordering, EMPTY_VV, compareActors, compareDots,
  counterOf, entryOf, covers, mergeVV, withEntry, descends, equalVV, concurrent, compareVV, assertVV,
} from './version-vector';
export {
  type ConflictMode, type Version, type SiblingSet, type Write, emptySet, tombstone, isExpired, liveVersions,
  liveValues, withoutDeadVersions, isDeleted, hasTombstone, latestStampMicros, purgeable, purgeableAtMicros, sameContent, bytesEqual, compareBytes,
} from './sibling-set';
export { dvvUpdate, dvvMerge, nextCounter, versionOf } from './dvv';
export { lwwUpdate, lwwMerge, compareLww } from './lww';
export { type PrunePolicy, DEFAULT_PRUNE_POLICY, prune, prunePolicyForGrace } from './prune';
export {
  type Context, type UpdateOptions, EMPTY_CONTEXT, update, merge, mergeAll, contextOf, setDescends, needsRepair,
} from './operations';
export { encodeSiblingSet, decodeSiblingSet, decodeOwnedSiblingSet, encodeContext, decodeContext, MAX_ACTOR_BYTES } from './codec';
export { etag, contextFingerprint } from './fingerprint';
export { assertSiblingSet } from './invariants';
