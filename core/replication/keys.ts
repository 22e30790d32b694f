import type { NodeId } from '../env';
import { LITTLE_ENDIAN } from '../storage/crc';
import { shortText } from './messages';

/**
 * How a node lays its records out in its local LSM engine. One engine holds two key spaces:
 *
 *     'd' | user key                               → encoded sibling set (the replica's data)
 *     'h' | u8 ownerLength | owner | user key      → u64 storedAtMicros (a hint: "hand this key to owner")
 *     'r'                                          → the ring-gossip message of this node's ring state
 *     'c'                                          → JSON of the catch-up pass a join or leave still owes
 *
 * Hints live in the same engine, so they are exactly as durable as data (WAL + fsync before the ack) and a
 * restarted stand-in still delivers them.
 */
const DATA = 0x64; // 'd'
const HINT = 0x68; // 'h'
const encoder = new TextEncoder();

export const HINT_PREFIX = new Uint8Array([HINT]);
export const DATA_PREFIX = new Uint8Array([DATA]);
/** Where a node keeps its ring state (membership), so a restart resumes from it rather than the static list. */
export const RING_STATE_KEY = new Uint8Array([0x72]); // 'r'
/** Where a node keeps the catch-up pass its last join or leave still owes (membership.ts, step 4). */
export const CATCH_UP_KEY = new Uint8Array([0x63]); // 'c'
/** Where a node keeps when the ring changes its lost-arc cleanup still owes began (core/node.ts sweepLostArcs). */
export const SWEEP_OWED_KEY = new Uint8Array([0x73]); // 's'

export function dataKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = DATA;
  out.set(key, 1);
  return out;
}

export function userKeyOfData(stored: Uint8Array): Uint8Array {
  if (stored[0] !== DATA) throw new Error('not a data key');
  return stored.subarray(1);
}

export function hintKey(owner: NodeId, key: Uint8Array): Uint8Array {
  const ownerBytes = encoder.encode(owner);
  if (ownerBytes.length > 255) throw new RangeError(`node id '${owner}' is longer than 255 bytes`);
  const out = new Uint8Array(2 + ownerBytes.length + key.length);
  out[0] = HINT;
  out[1] = ownerBytes.length;
  out.set(ownerBytes, 2);
  out.set(key, 2 + ownerBytes.length);
  return out;
}

export function parseHintKey(stored: Uint8Array): { owner: NodeId; key: Uint8Array } {
  if (stored[0] !== HINT || stored.length < 2) throw new Error('not a hint key');
  const ownerLength = stored[1]!;
  // Node ids are short ASCII ("n17"): built directly (this runs per hint per delivery round).
  return { owner: shortText(stored.subarray(2, 2 + ownerLength)), key: stored.subarray(2 + ownerLength) };
}

/** A float64 and its bytes, for the conversions below without a DataView per call (one per hint per round). */
const scratchFloat = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchFloat.buffer);

/** `micros` as a little-endian float64. */
export function encodeMicros(micros: number): Uint8Array {
  const out = new Uint8Array(8);
  scratchFloat[0] = micros;
  for (let i = 0; i < 8; i++) out[i] = scratchBytes[LITTLE_ENDIAN ? i : 7 - i]!;
  return out;
}

export function decodeMicros(bytes: Uint8Array): number {
  if (bytes.length !== 8) throw new Error(`hint record is ${bytes.length} bytes, expected 8`);
  for (let i = 0; i < 8; i++) scratchBytes[LITTLE_ENDIAN ? i : 7 - i] = bytes[i]!;
  return scratchFloat[0]!;
}
