/**
 * core/ring — consistent hashing with vnodes, Dynamo's three partitioning strategies, preference lists,
 * ring changes and load statistics. Pure and synchronous: every node builds the same ring from the same input.
 */
import type { NodeId } from '../env';
import { keyPosition } from './hash';
import { type Ring, preferenceListAt, walkDistinctAt } from './ring';

export { murmur3_32, keyPosition, utf8, KEY_HASH_SEED } from './hash';
export { type RingRange, RING_SIZE, rangeSize, rangeContains, rangeFraction } from './range';
export {
  type PartitionStrategy, type Member, type RingNode, type Ring, DEFAULT_VNODES, DEFAULT_STRATEGY, MAX_NODES,
  MAX_PARTITIONS, partitionOf, partitionEnd, lookupPosition, successorIndex, preferenceIndicesAt, preferenceListAt,
  walkDistinctAt, nodeIndex, ringMembers, assertRingInvariants,
} from './ring';
export { TOKEN_SEED, vnodeCount, nodeTokens } from './tokens';
export { buildRing, canonicalMembers, largestRemainder } from './strategies';
export { addNode, removeNode, movedRanges, movedFraction, arcEnds, forEachArc, type RangeTransfer } from './changes';
export { ownershipStats, summarize, type OwnershipStats, type NodeOwnership, type Summary } from './ownership';
export { replicatedRanges } from './replicated-ranges';

/** The preference list of a key: the first n distinct physical nodes clockwise from its position. */
export function preferenceList(ring: Ring, keyBytes: Uint8Array, n: number): NodeId[] {
  return preferenceListAt(ring, keyPosition(keyBytes), n);
}

/**
 * All distinct physical nodes clockwise from the key's position: the preference list, then the fallbacks a
 * coordinator tries in order for sloppy quorum ("next healthy node clockwise"). Lazy; stop when satisfied.
 */
export function walkDistinct(ring: Ring, keyBytes: Uint8Array): Generator<NodeId, void, undefined> {
  return walkDistinctAt(ring, keyPosition(keyBytes));
}
