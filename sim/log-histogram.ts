/**
 * A histogram of non-negative numbers in logarithmic buckets, each 1 % wide: constant memory however many
 * values it counts, percentiles within 1 %. The simulated disks count every sync's latency in one (a list of
 * them grew by ~24 MB over partition-500 at 10 K ops/s).
 *
 *     bucket 0: [0, 1)      bucket k ≥ 1: [1.01^(k−1), 1.01^k)
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

export class LogHistogram {
  private readonly counts: number[] = [];
  private total = 0;

  get count(): number {
    return this.total;
  }

  record(value: number): void {
    if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`a histogram counts finite values ≥ 0, got ${value}`);
    const bucket = value < 1 ? 0 : 1 + Math.floor(Math.log(value) / LOG_GROWTH);
    while (this.counts.length <= bucket) this.counts.push(0);
    this.counts[bucket]!++;
    this.total++;
  }

  /** Adds every value `other` counted. */
  merge(other: LogHistogram): void {
    while (this.counts.length < other.counts.length) this.counts.push(0);
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  /**
   * The value below which `percent` % of the counted values fall, as its bucket's midpoint (within 1 % of the
   * true percentile); 0 when nothing was counted. Same rank rule as checkers/stats.ts: the ⌈p·n⌉-th smallest.
   */
  percentile(percent: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return bucket === 0 ? 0.5 : GROWTH ** (bucket - 1) * (1 + GROWTH) / 2;
    }
    throw new Error('unreachable: the ranks add up to the total');
  }
}
