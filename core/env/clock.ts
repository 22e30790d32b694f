/**
 * A node's view of time. Microseconds everywhere inside dynalab.
 *
 * In the simulator each node's clock may be skewed (a fixed offset) and may drift (run fast or slow), and
 * both can change mid-run; `nowMicros()` returns that node's *local* reading, which is what last-writer-wins
 * timestamps are taken from — so skew shows up exactly where it does in a real cluster. Timers are measured
 * in local time too: a node whose clock runs 1 % fast fires its timers 1 % early in true time.
 *
 * Timers are callbacks, never promises: in the simulator a timer firing is one event on the queue, and a
 * promise continuation would run outside that event (see core/env/README.md for the measurement behind this).
 */
export type TimerId = number;

export interface TimerOptions {
  keepAlive?: boolean;
}

export interface Clock {
  /** This node's local time, in microseconds since an arbitrary epoch. Monotone unless the clock is stepped. */
  nowMicros(): number;
  /**
   * Runs `callback` once, `delayMicros` of local time from now. A crashed node's timers never fire.
   * `options.keepAlive`: this timer is pending work, not housekeeping — in real mode it keeps the process
   * running until it fires (a delayed timer otherwise does not; the simulator has no process to keep).
   */
  setTimer(delayMicros: number, callback: () => void, options?: TimerOptions): TimerId;
  /** Cancels a timer; cancelling one that already fired or was cancelled is a no-op. */
  cancelTimer(id: TimerId): void;
}
