/**
 * The φ accrual failure detector (Hayashibara et al., 2004; as in Cassandra and Akka).
 *
 * Instead of a yes/no timeout it outputs a suspicion level φ that grows the longer a heartbeat is overdue,
 * scaled by how regular the heartbeats have been: φ = −log10(P(a heartbeat arrives later than now)), with the
 * inter-arrival times modelled as a normal distribution fitted to a sliding window. φ = 1 means a 10 % chance
 * the node is still fine, φ = 8 (the usual threshold) about 1e−8. A jittery link widens the distribution, so
 * the same delay raises φ less there than on a steady one — which is the point.
 *
 * Pure and clock-free: callers pass times in microseconds (a node's local clock).
 */
export interface PhiAccrualOptions {
  /** φ at or above which the peer is considered down. Default 8. */
  threshold?: number;
  /** Inter-arrival samples kept. Default 200. */
  windowSize?: number;
  /** Floor for the standard deviation, so perfectly regular heartbeats do not make φ explode. Default 100 ms. */
  minStdDeviationMicros?: number;
  /** Extra pause tolerated on top of the mean (GC pauses, a slow link). Default 0. */
  acceptablePauseMicros?: number;
  /** Assumed interval before any sample exists (the first heartbeat gives none). Default 1 s. */
  firstIntervalMicros?: number;
}

export class PhiAccrualDetector {
  private readonly intervals: number[] = [];
  private sum = 0;
  private sumOfSquares = 0;
  private lastHeartbeatMicros: number | undefined;
  private readonly threshold: number;
  private readonly windowSize: number;
  private readonly minStdDeviation: number;
  private readonly acceptablePause: number;
  private readonly firstInterval: number;

  constructor(options: PhiAccrualOptions = {}) {
    this.threshold = options.threshold ?? 8;
    this.windowSize = options.windowSize ?? 200;
    this.minStdDeviation = options.minStdDeviationMicros ?? 100_000;
    this.acceptablePause = options.acceptablePauseMicros ?? 0;
    this.firstInterval = options.firstIntervalMicros ?? 1_000_000;
    if (!(this.threshold > 0)) throw new RangeError(`phi threshold must be > 0, got ${this.threshold}`);
    if (!(Number.isInteger(this.windowSize) && this.windowSize >= 1)) throw new RangeError(`windowSize must be a positive integer, got ${this.windowSize}`);
    if (!(this.minStdDeviation > 0)) throw new RangeError('minStdDeviationMicros must be > 0');
  }

  /** Records a heartbeat (any message from the peer counts) at local time `nowMicros`. */
  heartbeat(nowMicros: number): void {
    if (this.lastHeartbeatMicros !== undefined) {
      const interval = nowMicros - this.lastHeartbeatMicros;
      if (interval < 0) {
        // The local clock stepped back: restart the measurement rather than learn a negative interval.
        this.lastHeartbeatMicros = nowMicros;
        return;
      }
      this.addInterval(interval);
    } else {
      // Seed the window with the assumed interval so φ is defined from the first heartbeat on.
      this.addInterval(this.firstInterval);
    }
    this.lastHeartbeatMicros = nowMicros;
  }

  /** The suspicion level at `nowMicros`; 0 before the first heartbeat (never heard of: no opinion). */
  phi(nowMicros: number): number {
    if (this.lastHeartbeatMicros === undefined) return 0;
    const elapsed = Math.max(0, nowMicros - this.lastHeartbeatMicros);
    const count = this.intervals.length;
    const mean = this.sum / count + this.acceptablePause;
    const variance = Math.max(0, this.sumOfSquares / count - (this.sum / count) ** 2);
    const stdDeviation = Math.max(Math.sqrt(variance), this.minStdDeviation);
    // P(X > elapsed) for X ~ Normal(mean, sd), via the logistic approximation of the normal CDF that Akka uses
    // (accurate to ~1e-3 and, unlike erf, cheap and monotone).
    const y = (elapsed - mean) / stdDeviation;
    const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    const pLater = elapsed > mean ? e / (1 + e) : 1 - 1 / (1 + e);
    return -Math.log10(Math.max(pLater, Number.MIN_VALUE));
  }

  isAvailable(nowMicros: number): boolean {
    return this.phi(nowMicros) < this.threshold;
  }

  get samples(): number {
    return this.intervals.length;
  }

  private addInterval(interval: number): void {
    this.intervals.push(interval);
    this.sum += interval;
    this.sumOfSquares += interval * interval;
    if (this.intervals.length > this.windowSize) {
      const dropped = this.intervals.shift()!;
      this.sum -= dropped;
      this.sumOfSquares -= dropped * dropped;
    }
  }
}
