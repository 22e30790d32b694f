/**
 * Etags: a short, stable fingerprint of a key's version, for compare-and-set.
 *
 * `etag(set)` hashes the set's identity — mode, the clock's (actor, counter) pairs, and each version's dot,
 * flags, timestamps and a hash of its value — into 64 bits (two MurmurHash3_x86_32 passes with different
 * seeds), as 16 hex digits. Micros stamps in the clock are left out: they are pruning metadata, not identity.
 * Two replicas that have converged produce the same etag; any write, delete or newly merged sibling changes it.
 *
 * Compare-and-set with it: a get returns the etag; a conditional put succeeds only if the coordinating
 * replica's current set still has that etag (for an absent key, `etag(emptySet(mode))`). Under DVV this is
 * "the current context equals the one given" (plus "and holds the same siblings", which only differs after
 * pruning); under LWW, which has no context, it is "the winning version is still the one you read".
 * What it does not give: the check runs at one replica, so under sloppy quorum or a partition two conditional
 * puts can both succeed at different replicas — they then become siblings (DVV) or one silently wins (LWW).
 */
import { murmur3_32 } from '../ring/hash';
import { ByteWriter } from './bytes';
import type { SiblingSet } from './sibling-set';
import type { VersionVector } from './version-vector';

const SEED_A = 0x1b873593;
const SEED_B = 0x85ebca6b;
const VALUE_SEED = 0x2545f491;

function hex64(bytes: Uint8Array): string {
  return hex32(murmur3_32(bytes, SEED_A)) + hex32(murmur3_32(bytes, SEED_B));
}

/** Two hex digits per byte value (an etag is built for every read's answer). */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `value.toString(16).padStart(8, '0')` for an unsigned 32-bit value, without the two string calls. */
function hex32(value: number): string {
  return HEX_BYTES[value >>> 24]! + HEX_BYTES[(value >>> 16) & 0xff]! + HEX_BYTES[(value >>> 8) & 0xff]! + HEX_BYTES[value & 0xff]!;
}

/** Reused by every fingerprint (they never nest); only hashed, never handed out. */
const scratch = new ByteWriter(1024);

export function etag(set: SiblingSet): string {
  const w = scratch;
  w.reset();
  w.byte(set.mode === 'dvv' ? 0 : 1);
  w.uvarint(set.clock.length);
  for (const e of set.clock) { w.string(e.actor); w.uvarint(e.counter); }
  w.uvarint(set.versions.length);
  for (const v of set.versions) {
    w.string(v.dot.actor);
    w.uvarint(v.dot.counter);
    w.byte((v.deleted ? 1 : 0) | (v.expiresAtMicros !== null ? 2 : 0));
    w.svarint(v.timestampMicros);
    if (v.expiresAtMicros !== null) w.svarint(v.expiresAtMicros);
    w.uvarint(v.value.length);
    w.u32le(murmur3_32(v.value, VALUE_SEED));
  }
  return hex64(w.finish());
}

/** Fingerprint of a causal context alone (actor, counter pairs) — e.g. to log or compare contexts cheaply. */
export function contextFingerprint(context: VersionVector): string {
  const w = scratch;
  w.reset();
  w.uvarint(context.length);
  for (const e of context) { w.string(e.actor); w.uvarint(e.counter); }
  return hex64(w.finish());
}
