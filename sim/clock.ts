import type { Clock, TimerId } from '../core/env';
import { SlotMap } from '../core/slot-map';
import type { SimHost } from './host';
import { EventTag, type EventHandler, type SimEvent, type Simulator } from './simulator';

/**
 * A node's simulated clock: true virtual time seen through a skew (offset) and a drift rate.
 *
 *     local(t) = baseLocal + (t − anchorTrue) × (1 + driftPpm / 1e6)
 *
 * Changing the drift re-anchors at the current instant so local time stays continuous; a jump (step) adds
 * to the offset at once, as an NTP step or an operator's `date -s` would. Timers are set in local time and
 * converted to true time at the current rate (a later drift change does not move timers already set —
 * real kernels behave the same way for relative timers, near enough).
 */
export class SimClock implements Clock, EventHandler {
  private baseLocalMicros: number;
  private anchorTrueMicros: number;
  private rate: number;
  /**
   * Every earlier (anchorTrue, baseLocal, rate) — one per jump, offset or drift change, so a handful per run —
   * so a local reading taken in the past can be mapped back to true time for figures (trueMicrosAt).
   */
  private readonly history: { trueMicros: number; localMicros: number; rate: number }[] = [];
  private nextTimerId = 1;
  private readonly timers = new SlotMap<SimEvent>();

  constructor(
    private readonly simulator: Simulator,
    private readonly host: SimHost,
    options: { offsetMicros?: number; driftPpm?: number } = {},
  ) {
    this.anchorTrueMicros = simulator.nowMicros;
    this.baseLocalMicros = simulator.nowMicros + (options.offsetMicros ?? 0);
    this.rate = 1 + (options.driftPpm ?? 0) / 1e6;
    assertRate(this.rate);
  }

  nowMicros(): number {
    return Math.floor(this.baseLocalMicros + (this.simulator.nowMicros - this.anchorTrueMicros) * this.rate);
  }

  /**
   * The true (simulator) time at which this clock read `localMicros`, for figures a node records on its own
   * clock (membership changes): skew, drift and jumps taken out. A reading that several periods share (after
   * a step back) is taken from the latest; one from before the clock existed maps through the first period.
   */
  trueMicrosAt(localMicros: number): number {
    const periods = [...this.history, { trueMicros: this.anchorTrueMicros, localMicros: this.baseLocalMicros, rate: this.rate }];
    // The latest period whose readings cover localMicros; failing that (a reading skipped by a step forward,
    // or from before the first period), the latest that started at or before it, else the first.
    let fallback = -1;
    for (let i = periods.length - 1; i >= 0; i--) {
      const period = periods[i]!;
      const trueEnd = i + 1 < periods.length ? periods[i + 1]!.trueMicros : Number.POSITIVE_INFINITY;
      const localEnd = period.localMicros + (trueEnd - period.trueMicros) * period.rate;
      if (period.localMicros <= localMicros && localMicros <= localEnd) return period.trueMicros + (localMicros - period.localMicros) / period.rate;
      if (fallback < 0 && period.localMicros <= localMicros) fallback = i;
    }
    const period = periods[Math.max(0, fallback)]!;
    return period.trueMicros + (localMicros - period.localMicros) / period.rate;
  }

  /** Current offset from true time, in microseconds. */
  get offsetMicros(): number {
    return this.nowMicros() - this.simulator.nowMicros;
  }

  get driftPpm(): number {
    return (this.rate - 1) * 1e6;
  }

  /** Steps the clock by `deltaMicros` (positive: jumps ahead). */
  jump(deltaMicros: number): void {
    this.reanchor();
    this.baseLocalMicros += deltaMicros;
  }

  /** Sets the skew so that local − true = `offsetMicros` now. */
  setOffset(offsetMicros: number): void {
    this.reanchor();
    this.baseLocalMicros = this.simulator.nowMicros + offsetMicros;
  }

  setDriftPpm(driftPpm: number): void {
    this.reanchor();
    this.rate = 1 + driftPpm / 1e6;
    assertRate(this.rate);
  }

  setTimer(delayMicros: number, callback: () => void): TimerId {
    const id = this.nextTimerId++;
    const trueDelay = Math.max(0, delayMicros) / this.rate;
    if (!(trueDelay >= 0) || !Number.isFinite(trueDelay)) {
      throw new RangeError(`cannot schedule an event ${trueDelay} µs from now (need a finite delay ≥ 0)`);
    }
    // A record, not a closure: payload = the callback, the incarnation that set it, the timer id.
    const event = this.simulator.scheduleRecord(
      this.simulator.nowMicros + Math.ceil(trueDelay),
      EventTag.Timer,
      this,
      callback,
      undefined,
      this.host.incarnation,
      this.host.index,
      id,
    );
    this.timers.set(id, event);
    return id;
  }

  /** @internal the kernel runs a due timer */
  fire(event: SimEvent): void {
    this.timers.delete(event.detailB);
    if (this.host.isCurrent(event.number)) (event.ref as () => void)();
  }

  cancelTimer(id: TimerId): void {
    const event = this.timers.get(id);
    if (event === undefined) return;
    this.simulator.cancel(event);
    this.timers.delete(id);
  }

  /** Drops every pending timer (called when the host crashes). */
  cancelAll(): void {
    for (const event of this.timers.valueList()) this.simulator.cancel(event);
    this.timers.clear();
  }

  private reanchor(): void {
    this.history.push({ trueMicros: this.anchorTrueMicros, localMicros: this.baseLocalMicros, rate: this.rate });
    this.baseLocalMicros = this.nowMicros();
    this.anchorTrueMicros = this.simulator.nowMicros;
  }
}

function assertRate(rate: number): void {
  if (!(rate > 0.5 && rate < 2)) throw new RangeError(`clock drift must stay within ±500000 ppm, got rate ${rate}`);
}
