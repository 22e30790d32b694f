import { randomBytes } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { Random } from '../core/env';

/**
 * The real-mode Random: the same generator the simulator uses (seedrandom's Alea), but seeded from the
 * operating system's entropy, so two processes — or two restarts of one — never draw the same sequence.
 *
 * Core only uses randomness for jitter and tie-breaking, never for secrets, so a fast non-cryptographic
 * generator is the right tool; the crypto seed just makes streams independent across processes.
 *
 * `fork(label)` follows the interface's contract: the child's seed is the parent's seed plus the label, so it
 * depends neither on how much the parent drew nor on other forks. The seed is kept (`seed`) and may be logged:
 * with it a node's draws can be reproduced when debugging.
 */
export class SystemRandom implements Random {
  private readonly generator: seedrandom.PRNG;

  constructor(readonly seed: string = randomBytes(16).toString('hex')) {
    this.generator = seedrandom.alea(seed);
  }

  next(): number {
    return this.generator();
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Random.int needs a positive integer bound, got ${maxExclusive}`);
    }
    return Math.floor(this.generator() * maxExclusive);
  }

  fork(label: string): SystemRandom {
    return new SystemRandom(`${this.seed}/${label}`);
  }
}
