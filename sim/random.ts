import seedrandom from 'seedrandom';
import type { Random } from '../core/env';

/**
 * Seeded PRNG streams for the simulator, built on seedrandom's Alea generator (fast, 2^116 period, and
 * specified so the same seed gives the same sequence on every platform).
 *
 * A stream's seed is a path: the run seed, then one label per fork ("7/net", "7/node:n12/disk"), so each
 * concern and each node has its own stream and draws in one never shift another's.
 */
export class SeededRandom implements Random {
  private readonly generator: seedrandom.PRNG;

  constructor(readonly seedPath: string) {
    this.generator = seedrandom.alea(seedPath);
  }

  static fromSeed(seed: number | string): SeededRandom {
    return new SeededRandom(String(seed));
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

  fork(label: string): SeededRandom {
    return new SeededRandom(`${this.seedPath}/${label}`);
  }
}
