import type { Random } from '../core/env';

/**
 * Which key an operation touches: uniform, Zipf (a few keys take most of the traffic, as in real caches and
 * carts), or one hot key taking a fixed fraction. Zipf sampling inverts a precomputed CDF by binary search,
 * exact and O(log K) per draw.
 */
export type KeyDistribution =
  | { kind: 'uniform'; keys: number }
  | { kind: 'zipf'; keys: number; exponent: number }
  | { kind: 'hot'; keys: number; hotFraction: number };

export class KeyChooser {
  private readonly cdf: Float64Array | null;

  constructor(
    private readonly distribution: KeyDistribution,
    private readonly random: Random,
  ) {
    if (!(Number.isInteger(distribution.keys) && distribution.keys >= 1)) throw new RangeError(`keys must be ≥ 1, got ${distribution.keys}`);
    if (distribution.kind === 'zipf') {
      const cdf = new Float64Array(distribution.keys);
      let total = 0;
      for (let i = 0; i < distribution.keys; i++) {
        total += 1 / Math.pow(i + 1, distribution.exponent);
        cdf[i] = total;
      }
      for (let i = 0; i < cdf.length; i++) cdf[i]! /= total;
      this.cdf = cdf;
    } else {
      this.cdf = null;
    }
  }

  /** A key index in [0, keys). */
  next(): number {
    const d = this.distribution;
    switch (d.kind) {
      case 'uniform':
        return this.random.int(d.keys);
      case 'hot':
        return this.random.next() < d.hotFraction ? 0 : this.random.int(d.keys);
      case 'zipf': {
        const u = this.random.next();
        const cdf = this.cdf!;
        let lo = 0;
        let hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      }
    }
  }
}
