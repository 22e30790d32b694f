/**
 * A simulated machine's life: up or down, and which incarnation it is in.
 *
 * A crash ends the current incarnation. Everything scheduled on behalf of the old incarnation — its timers,
 * its pending fsync completions, messages addressed to it — checks `isCurrent(incarnation)` when it fires
 * and does nothing if the machine crashed since. That is how a crash kills a process's in-memory state
 * without the simulator having to find and remove its events.
 */
export class SimHost {
  private aliveValue = true;
  private incarnationValue = 0;

  constructor(
    readonly id: string,
    /** Dense index (0..M-1) used in traces and link tables. */
    readonly index: number,
  ) {}

  get alive(): boolean {
    return this.aliveValue;
  }

  get incarnation(): number {
    return this.incarnationValue;
  }

  /** True when the host is up and still in `incarnation`. */
  isCurrent(incarnation: number): boolean {
    return this.aliveValue && this.incarnationValue === incarnation;
  }

  crash(): void {
    this.aliveValue = false;
    this.incarnationValue++;
  }

  restart(): void {
    if (this.aliveValue) throw new Error(`host ${this.id} is already running; crash it before restarting`);
    this.aliveValue = true;
    this.incarnationValue++;
  }
}
