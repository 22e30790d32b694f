/**
 * A stream of pseudo-random numbers. Core code never calls the global PRNG: every choice it makes (gossip peer,
 * jittered retry) draws from the stream it was given, so the simulator can replay a run from its seed.
 *
 * `fork(label)` derives an independent child stream whose sequence depends only on the parent's seed and the
 * label — not on how many numbers the parent has drawn — so adding a draw in one concern never perturbs
 * another concern's sequence.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). `maxExclusive` must be a positive integer. */
  int(maxExclusive: number): number;
  /** An independent stream derived from this stream's seed and `label`. */
  fork(label: string): Random;
}
