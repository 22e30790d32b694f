/**
 * Binary codec for a key's sibling set (the bytes the node stores as the LSM value and ships in messages) and
 * for a causal context (the opaque token clients hold between get and put).
 *
 * Sibling set, format 1 (all integers are varints — see bytes.ts):
 *
 *     'd' 'v' 0x01           magic, format version
 *     mode                   0 = dvv, 1 = lww
 *     actorCount, actors…    utf-8 strings, strictly ascending, each used below (so the encoding is canonical)
 *     clockCount, entries…   actorIndex (strictly ascending), counter ≥ 1, micros (signed)
 *     versionCount, versions…
 *        flags               bit0 tombstone, bit1 has expiry; other bits zero
 *        actorIndex, counter dvv: counter ≥ 1 and covered by the clock; lww: counter 0, clock empty, ≤ 1 version
 *        timestampMicros     signed
 *        [expiresAtMicros]   signed, if bit1
 *        value               length + bytes (empty for a tombstone)
 *     checksum               murmur3_32 of all preceding bytes, seed CHECKSUM_SEED, little-endian
 *
 * Actors are interned once, so a dot costs a small index rather than a repeated node id. Equal sets encode to
 * equal bytes. `decodeSiblingSet` validates everything above and throws a CodecError that says what and where.
 */
import { murmur3_32 } from '../ring/hash';
import { CodecError, ContextKeyMismatchError } from './errors';
import { ByteReader, ByteWriter } from './bytes';
import { checksum, readU32le } from './checksum';
import type { ConflictMode, SiblingSet, Version } from './sibling-set';
import { type ClockEntry, type VersionVector, compareActors, compareDots, covers } from './version-vector';

const SET_MAGIC_0 = 0x64; // 'd'
const SET_MAGIC_1 = 0x76; // 'v'
const CONTEXT_MAGIC_1 = 0x63; // 'c'
const FORMAT = 1;
const FLAG_TOMBSTONE = 1;
const FLAG_EXPIRY = 2;
const MIN_SET_BYTES = 3 + 1 + 3 + 4;

/** Longest actor id in bytes. */
export const MAX_ACTOR_BYTES = 1024;

/** Reused by every encode (codecs never call each other re-entrantly); each result is copied out of it. */
const scratch = new ByteWriter(4096);

/**
 * The distinct actors of a set, ascending. Clock entries and version dots are each already sorted by actor, so
 * this is usually a merge of two sorted lists with no Set, Map or sort; an unsorted input still gets sorted.
 */
function actorsOf(set: SiblingSet): string[] {
  const actors: string[] = [];
  let sorted = true;
  const add = (actor: string): void => {
    const last = actors.length - 1;
    if (last >= 0) {
      const previous = actors[last]!;
      if (previous === actor) return;
      if (previous > actor) {
        if (actors.includes(actor)) return;
        sorted = false;
      }
    }
    actors.push(actor);
  };
  const clock = set.clock;
  const versions = set.versions;
  let i = 0;
  let j = 0;
  while (i < clock.length || j < versions.length) {
    if (j >= versions.length || (i < clock.length && clock[i]!.actor <= versions[j]!.dot.actor)) add(clock[i++]!.actor);
    else add(versions[j++]!.dot.actor);
  }
  if (!sorted) {
    const unique = [...new Set(actors)];
    unique.sort(compareActors);
    return unique;
  }
  return actors;
}

function indexOfActor(actors: readonly string[], actor: string): number {
  let lo = 0;
  let hi = actors.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = actors[mid]!;
    if (a === actor) return mid;
    if (a < actor) lo = mid + 1;
    else hi = mid;
  }
  throw new Error(`actor ${actor} missing from the actor table`);
}

export function encodeSiblingSet(set: SiblingSet): Uint8Array {
  const actors = actorsOf(set);
  const w = scratch;
  w.reset();
  w.byte(SET_MAGIC_0); w.byte(SET_MAGIC_1); w.byte(FORMAT);
  w.byte(set.mode === 'dvv' ? 0 : 1);
  w.uvarint(actors.length);
  for (let i = 0; i < actors.length; i++) w.string(actors[i]!);
  w.uvarint(set.clock.length);
  for (const e of set.clock) { w.uvarint(indexOfActor(actors, e.actor)); w.uvarint(e.counter); w.svarint(e.micros); }
  w.uvarint(set.versions.length);
  for (const v of set.versions) {
    w.byte((v.deleted ? FLAG_TOMBSTONE : 0) | (v.expiresAtMicros !== null ? FLAG_EXPIRY : 0));
    w.uvarint(indexOfActor(actors, v.dot.actor));
    w.uvarint(v.dot.counter);
    w.svarint(v.timestampMicros);
    if (v.expiresAtMicros !== null) w.svarint(v.expiresAtMicros);
    w.bytes(v.value);
  }
  w.u32le(checksum(w.finish()));
  return w.finish().slice();
}

function verifyChecksum(bytes: Uint8Array, what: string, minBytes: number, magic1: number, format = FORMAT): void {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(what, 0, 'input is not a Uint8Array');
  if (bytes.length < minBytes) throw new CodecError(what, bytes.length, `truncated: ${bytes.length} bytes is shorter than the minimum ${minBytes}`);
  if (bytes[0] !== SET_MAGIC_0 || bytes[1] !== magic1) throw new CodecError(what, 0, 'bad magic (not a dynalab record of this kind)');
  if (bytes[2] !== format) throw new CodecError(what, 2, `unsupported format version ${bytes[2]}`);
  const body = bytes.length - 4;
  if (checksum(bytes.subarray(0, body)) !== readU32le(bytes, body)) {
    throw new CodecError(what, body, 'checksum mismatch (corrupt or truncated)');
  }
}

/**
 * Decodes and validates a sibling set. The values of the result never alias `bytes`: they are views into one
 * private copy of the input (one allocation for the whole set rather than one per version).
 */
export function decodeSiblingSet(bytes: Uint8Array): SiblingSet {
  const what = 'sibling set';
  verifyChecksum(bytes, what, MIN_SET_BYTES, SET_MAGIC_1);
  return decodeVerifiedSet(bytes.slice(), what);
}

/**
 * As decodeSiblingSet, for input the caller owns and will never modify or reuse (e.g. a fresh copy just
 * read from the engine): the result's values are views into `bytes` itself, saving the copy.
 */
export function decodeOwnedSiblingSet(bytes: Uint8Array): SiblingSet {
  const what = 'sibling set';
  verifyChecksum(bytes, what, MIN_SET_BYTES, SET_MAGIC_1);
  return decodeVerifiedSet(bytes, what);
}

function decodeVerifiedSet(bytes: Uint8Array, what: string): SiblingSet {
  const r = new ByteReader(bytes, what, bytes.length - 4);
  r.byte('magic'); r.byte('magic'); r.byte('format');
  const modeByte = r.byte('mode');
  if (modeByte > 1) r.fail(`unknown mode ${modeByte}`, r.offset - 1);
  const mode: ConflictMode = modeByte === 0 ? 'dvv' : 'lww';

  const actorCount = r.uvarint('actor count');
  if (actorCount > r.remaining) r.fail(`actor count ${actorCount} exceeds the bytes left`);
  const actors: string[] = [];
  for (let i = 0; i < actorCount; i++) {
    const at = r.offset;
    const a = r.string('actor id', MAX_ACTOR_BYTES);
    if (a.length === 0) r.fail('empty actor id', at);
    if (i > 0 && !(actors[i - 1]! < a)) r.fail('actor ids not strictly ascending', at);
    actors.push(a);
  }
  const used = new Uint8Array(actorCount);

  const clockCount = r.uvarint('clock size');
  if (clockCount > actorCount) r.fail(`clock size ${clockCount} exceeds actor count ${actorCount}`);
  if (mode === 'lww' && clockCount > 0) r.fail('an lww set has no clock');
  const clock: ClockEntry[] = [];
  for (let i = 0; i < clockCount; i++) {
    const at = r.offset;
    const actor = actorAt(r, actors, used, 'clock actor index');
    if (i > 0 && !(clock[i - 1]!.actor < actor)) r.fail('clock entries not strictly ascending', at);
    const counter = r.uvarint('clock counter');
    if (counter < 1) r.fail('clock counter must be ≥ 1', at);
    clock.push({ actor, counter, micros: r.svarint('clock micros') });
  }

  const versionCount = r.uvarint('version count');
  if (versionCount > r.remaining) r.fail(`version count ${versionCount} exceeds the bytes left`);
  if (mode === 'lww' && versionCount > 1) r.fail(`an lww set holds at most one version, found ${versionCount}`);
  const versions: Version[] = [];
  for (let i = 0; i < versionCount; i++) {
    const at = r.offset;
    const flags = r.byte('version flags');
    if ((flags & ~(FLAG_TOMBSTONE | FLAG_EXPIRY)) !== 0) r.fail(`unknown version flags 0x${flags.toString(16)}`, at);
    const actor = actorAt(r, actors, used, 'version actor index');
    const counter = r.uvarint('version counter');
    const dot = { actor, counter };
    if (mode === 'dvv' && (counter < 1 || !covers(clock, dot))) r.fail(`dot ${actor}:${counter} not covered by the clock`, at);
    if (mode === 'lww' && counter !== 0) r.fail('an lww version has counter 0', at);
    if (i > 0 && compareDots(versions[i - 1]!.dot, dot) >= 0) r.fail('versions not strictly ascending by dot', at);
    const timestampMicros = r.svarint('timestamp');
    const expiresAtMicros = (flags & FLAG_EXPIRY) !== 0 ? r.svarint('expiry') : null;
    const value = r.view('value', Number.MAX_SAFE_INTEGER);
    const deleted = (flags & FLAG_TOMBSTONE) !== 0;
    if (deleted && value.length > 0) r.fail('a tombstone carries a value', at);
    versions.push({ dot, value, deleted, timestampMicros, expiresAtMicros });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes`);
  for (let i = 0; i < actorCount; i++) if (used[i] === 0) r.fail(`actor ${actors[i]} is never used`);
  return { mode, clock, versions };
}

function actorAt(r: ByteReader, actors: readonly string[], used: Uint8Array, field: string): string {
  const at = r.offset;
  const i = r.uvarint(field);
  if (i >= actors.length) r.fail(`${field} ${i} out of range (${actors.length} actors)`, at);
  used[i] = 1;
  return actors[i]!;
}

/**
 * A causal context, as a client holds it between a read and its next write of the same key:
 *
 *   +-----+-----+--------+-----------------+---------+-----------------------------------+----------+
 *   | 'd' | 'c' | 0x02   | key fingerprint | count   | (actor, counter, micros) × count  | checksum |
 *   |     |     | format | u32le           | uvarint | string, uvarint, svarint          | u32le    |
 *   +-----+-----+--------+-----------------+---------+-----------------------------------+----------+
 *
 * Why the key fingerprint: a context says "this writer has seen these dots", and a write supersedes every
 * version whose dot the context covers. Dots are per actor, not per key, so the context of key A handed with
 * a write to key B (a client mixing up its headers, a cache keyed wrongly) covers B's versions with lower
 * counters from the same actors — versions that writer never saw — and the write silently replaces other
 * clients' acknowledged writes of B. Riak's X-Riak-Vclock has that hazard; here the write is refused instead
 * (`ContextKeyMismatchError`). 32 bits: a mixed-up context slips through once in ~4 billion.
 */
const CONTEXT_FORMAT = 2;
const CONTEXT_KEY_SEED = 0x6b43c7a1;

function contextKeyFingerprint(key: Uint8Array): number {
  return murmur3_32(key, CONTEXT_KEY_SEED);
}

/** Encodes the causal context `context` of `key` (see the layout above). */
export function encodeContext(context: VersionVector, key: Uint8Array): Uint8Array {
  const w = scratch;
  w.reset();
  w.byte(SET_MAGIC_0); w.byte(CONTEXT_MAGIC_1); w.byte(CONTEXT_FORMAT);
  w.u32le(contextKeyFingerprint(key));
  w.uvarint(context.length);
  for (const e of context) { w.string(e.actor); w.uvarint(e.counter); w.svarint(e.micros); }
  w.u32le(checksum(w.finish()));
  return w.finish().slice();
}

/**
 * Decodes a causal context handed with a write of `key`. Throws CodecError when the bytes are not a context,
 * and ContextKeyMismatchError when they are one — of another key.
 */
export function decodeContext(bytes: Uint8Array, key: Uint8Array): VersionVector {
  const what = 'causal context';
  if (bytes instanceof Uint8Array && bytes.length > 3 && bytes[0] === SET_MAGIC_0 && bytes[1] === CONTEXT_MAGIC_1 && bytes[2] === 1) {
    throw new CodecError(what, 2, 'format 1 is from a dynalab before contexts were bound to their key: read the key again for a current one');
  }
  verifyChecksum(bytes, what, 3 + 4 + 1 + 4, CONTEXT_MAGIC_1, CONTEXT_FORMAT);
  const r = new ByteReader(bytes, what, bytes.length - 4);
  r.byte('magic'); r.byte('magic'); r.byte('format');
  const fingerprint = readU32le(bytes, r.offset); // present: verifyChecksum saw at least the minimum length
  for (let i = 0; i < 4; i++) r.byte('key fingerprint');
  if (fingerprint !== contextKeyFingerprint(key)) throw new ContextKeyMismatchError();
  const count = r.uvarint('entry count');
  if (count > r.remaining) r.fail(`entry count ${count} exceeds the bytes left`);
  const out: ClockEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const actor = r.string('actor id', MAX_ACTOR_BYTES);
    if (actor.length === 0) r.fail('empty actor id', at);
    if (i > 0 && !(out[i - 1]!.actor < actor)) r.fail('entries not strictly ascending', at);
    const counter = r.uvarint('counter');
    if (counter < 1) r.fail('counter must be ≥ 1', at);
    out.push({ actor, counter, micros: r.svarint('micros') });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes`);
  return out;
}
