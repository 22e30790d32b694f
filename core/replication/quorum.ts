/**
 * Quorum arithmetic as pure functions: validating N/R/W, the named presets from the seeds, and the outcome
 * of a request given the replies so far. Kept pure so the coordinator, the capacity model and property tests
 * share one definition.
 */
export interface QuorumConfig {
  n: number;
  r: number;
  w: number;
}

/** The four settings the seeds tabulate (N = 3). */
export const QUORUM_PRESETS: Record<'strong' | 'quorum' | 'fast-write' | 'eventual', QuorumConfig> = {
  strong: { n: 3, r: 1, w: 3 },
  quorum: { n: 3, r: 2, w: 2 },
  'fast-write': { n: 3, r: 3, w: 1 },
  eventual: { n: 3, r: 1, w: 1 },
};

export function validateQuorum(config: QuorumConfig, clusterSize: number): void {
  const { n, r, w } = config;
  for (const [name, value] of Object.entries({ n, r, w })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (r > n) throw new RangeError(`r=${r} cannot exceed n=${n}`);
  if (w > n) throw new RangeError(`w=${w} cannot exceed n=${n}`);
  if (n > clusterSize) throw new RangeError(`n=${n} replicas need at least ${n} nodes; the cluster has ${clusterSize}`);
  if (n > 255) throw new RangeError(`n=${n} is above the protocol limit of 255`);
}

/** R + W > N: every read quorum intersects every write quorum (intersection, not agreement). */
export function quorumsOverlap(config: QuorumConfig): boolean {
  return config.r + config.w > config.n;
}

export type QuorumState = 'met' | 'pending' | 'impossible';

/**
 * The state of a request that needs `needed` successes from `targets` replicas, after `successes` succeeded
 * and `failures` failed for certain. 'impossible' lets a coordinator fail fast instead of waiting for the
 * timeout (only when no stand-in can be tried).
 */
export function quorumState(needed: number, targets: number, successes: number, failures: number): QuorumState {
  if (successes + failures > targets) throw new RangeError(`more replies (${successes + failures}) than targets (${targets})`);
  if (successes >= needed) return 'met';
  if (targets - failures < needed) return 'impossible';
  return 'pending';
}
