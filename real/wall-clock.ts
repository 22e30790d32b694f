import type { Clock, TimerId } from '../core/env';

/**
 * The real Clock: wall time in microseconds (Date.now × 1000 plus a monotonic sub-millisecond part) and
 * Node timers. Timers are unref'd so a node's housekeeping timers never keep a finished process alive.
 */
export class WallClock implements Clock {
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private nextId = 1;
  private readonly wallAtStartMicros = Date.now() * 1000;
  private readonly monotonicAtStart = process.hrtime.bigint();

  nowMicros(): number {
    const elapsedMicros = Number((process.hrtime.bigint() - this.monotonicAtStart) / 1000n);
    return this.wallAtStartMicros + elapsedMicros;
  }

  setTimer(delayMicros: number, callback: () => void): TimerId {
    const id = this.nextId++;
    const handle = setTimeout(() => {
      this.timers.delete(id);
      callback();
    }, Math.max(0, delayMicros / 1000));
    handle.unref();
    this.timers.set(id, handle);
    return id;
  }

  cancelTimer(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.timers.delete(id);
  }

  /** Cancels every timer (used on shutdown). */
  cancelAll(): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }
}
