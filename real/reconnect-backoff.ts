/**
 * Delay before the next connection attempt to a peer that is down: exponential in the number of consecutive
 * failures, capped, with "equal jitter" (a uniformly random point in the upper half of the window).
 *
 * Exponential so that a node that stays down costs its peers few connection attempts; capped so that a node
 * that comes back is found again within `maxMs`; jittered so that when a popular node restarts, the rest of
 * the cluster does not reconnect to it in lock-step. Equal jitter rather than full jitter keeps a floor of
 * half the window, so a refused connection on loopback cannot turn into a tight loop.
 */
export interface BackoffOptions {
  /** Window after the first failure, in ms. */
  initialMs: number;
  /** Largest window, in ms. */
  maxMs: number;
  /** Uniform [0, 1) source; Math.random unless a test wants it fixed. */
  random?: () => number;
}

export class ReconnectBackoff {
  private failures = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${options.initialMs} and ${options.maxMs}`);
    }
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  nextDelayMs(): number {
    // 2 ** 30 already exceeds any sane cap; clamping the exponent keeps the arithmetic finite forever.
    const window = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return window / 2 + this.random() * (window / 2);
  }

  /** A connection got all the way through the handshake: start over from the smallest window. */
  reset(): void {
    this.failures = 0;
  }
}
