import type { NodeId } from '../env';

/**
 * Which nodes a request goes to: a pure function of the key's clockwise walk of distinct nodes, N, and who
 * is currently suspected of being down.
 *
 * Strict quorum: the first N nodes of the walk (the preference list), suspected or not.
 * Sloppy quorum (Dynamo §4.6): the first N *healthy* nodes of the walk. Each owner that is suspected is
 * replaced by the next healthy node beyond the preference list, which receives the write with a hint naming
 * the owner it stands in for, and hands it back when the owner returns.
 */
export interface Target {
  node: NodeId;
  /** Non-empty when `node` stands in for this preference-list owner. */
  hintFor: NodeId;
}

export interface TargetPlan {
  /** The preference list: first N distinct nodes clockwise. */
  owners: NodeId[];
  /** Where to send: owners that are healthy, plus stand-ins for the suspected ones (sloppy only). */
  targets: Target[];
  /** Stand-ins not used yet, in walk order (for substituting an owner that stops answering mid-request). */
  spares: NodeId[];
}

export function planTargets(walk: readonly NodeId[], n: number, sloppy: boolean, isSuspected: (node: NodeId) => boolean): TargetPlan {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`n must be a positive integer, got ${n}`);
  const owners = walk.slice(0, n);
  if (!sloppy) return { owners, targets: owners.map((node) => ({ node, hintFor: '' })), spares: [] };
  const beyond = walk.slice(n).filter((node) => !isSuspected(node));
  const targets: Target[] = [];
  let next = 0;
  for (const owner of owners) {
    if (!isSuspected(owner)) {
      targets.push({ node: owner, hintFor: '' });
    } else if (next < beyond.length) {
      targets.push({ node: beyond[next++]!, hintFor: owner });
    }
  }
  const spares = beyond.slice(next);
  assertDistinct(targets);
  return { owners, targets, spares };
}

/** Pairwise (targets are N long, a handful): no Set and no array built per request. */
function assertDistinct(targets: readonly Target[]): void {
  for (let i = 1; i < targets.length; i++) {
    for (let j = 0; j < i; j++) {
      if (targets[i]!.node === targets[j]!.node) throw new Error(`target plan repeats a node: ${targets.map((t) => t.node).join(',')}`);
    }
  }
}
