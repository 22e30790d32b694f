/**
 * Deterministic vnode tokens (strategies 1 and 2).
 *
 * Token i of node `id` is MurmurHash3_x86_32(utf8(id) ‖ uint32be(i), TOKEN_SEED). Every node computes the same
 * tokens from the membership list alone — no coordination, no randomness to replay — and a node's tokens do not
 * depend on who else is in the cluster, which is what makes adding a node move keys only *to* it.
 *
 * Equal tokens (≈2 expected among 128 K on a 2^32 ring) are ordered by node index, so the sorted order is
 * total and identical everywhere; the later duplicate simply owns an empty arc.
 */
import { murmur3_32, utf8 } from './hash';

/** Seed for token derivation; distinct from the key seed so a key named like a token lands elsewhere. */
export const TOKEN_SEED = 0x5eed7ace;

/** Number of vnodes for a node of `weight` at `vnodesPerWeight`: round(vnodes × weight), at least 1. */
export function vnodeCount(vnodesPerWeight: number, weight: number): number {
  return Math.max(1, Math.round(vnodesPerWeight * weight));
}

/** Writes `count` tokens of node `id` into `out` starting at `offset`. Allocation: one buffer per node. */
export function deriveTokens(id: string, count: number, out: Uint32Array | number[], offset = 0): void {
  const idBytes = utf8(id);
  const buffer = new Uint8Array(idBytes.length + 4);
  buffer.set(idBytes, 0);
  const at = idBytes.length;
  for (let i = 0; i < count; i++) {
    buffer[at] = i >>> 24;
    buffer[at + 1] = (i >>> 16) & 0xff;
    buffer[at + 2] = (i >>> 8) & 0xff;
    buffer[at + 3] = i & 0xff;
    out[offset + i] = murmur3_32(buffer, TOKEN_SEED);
  }
}

/** The tokens of one node, e.g. for display or gossip. */
export function nodeTokens(id: string, count: number): Uint32Array {
  const out = new Uint32Array(count);
  deriveTokens(id, count, out);
  return out;
}

/** A deterministic per-(label, index) hash used to order partitions pseudo-randomly (strategy 3). */
export function indexHash(label: Uint8Array, index: number): number {
  const buffer = new Uint8Array(label.length + 4);
  buffer.set(label, 0);
  const at = label.length;
  buffer[at] = index >>> 24;
  buffer[at + 1] = (index >>> 16) & 0xff;
  buffer[at + 2] = (index >>> 8) & 0xff;
  buffer[at + 3] = index & 0xff;
  return murmur3_32(buffer, TOKEN_SEED);
}
