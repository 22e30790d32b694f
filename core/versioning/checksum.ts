/**
 * The 4-byte trailer of encoded sibling sets and contexts: MurmurHash3_x86_32 of everything before it with a
 * fixed seed, little-endian. It catches bit flips and truncation that still parse (storage and transport have
 * their own checksums; this one makes the record self-validating wherever its bytes end up, e.g. in a hint).
 */
import { murmur3_32 } from '../ring/hash';

export const CHECKSUM_SEED = 0xc0ffee11;

export function checksum(bytes: Uint8Array): number {
  return murmur3_32(bytes, CHECKSUM_SEED);
}

export function readU32le(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
