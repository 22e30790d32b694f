import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * How long a real node's event loop keeps requests waiting. Everything a node does — HTTP parsing,
 * replication messages, WAL appends, background flush and compaction steps, garbage collection — runs on
 * its one JavaScript thread, so a stall of the loop is added to the latency of every request in flight. Two
 * views of it:
 *
 * - a histogram of loop delay (Node's `monitorEventLoopDelay`, sampling every 10 ms), reported in
 *   `GET /v1/status` as p50/p99/max since the node started, and resettable, so a load test can read one
 *   phase;
 * - a stall log: a timer that expects to run every `checkIntervalMs` and logs one line when it ran
 *   `stallMs` (default 50) or more late, naming how late and what the storage engine was doing (the usual suspects are a
 *   long GC pause, or a background step that ran too long).
 *
 * Both timers are unref'd: watching never keeps a process alive.
 */
const HISTOGRAM_RESOLUTION_MS = 10;

export interface EventLoopWatchOptions {
  /** Log a stall when the loop is this late or more (default 50 ms). */
  stallMs?: number;
  /** How often the stall timer expects to run (default 20 ms). */
  checkIntervalMs?: number;
  /** Called with one line per stall. */
  log: (message: string) => void;
  /** Context for a stall line, e.g. "flushing, 1 compaction running" (optional). */
  describe?: () => string;
}

export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Stalls of at least stallMs seen since the last reset. */
  stalls: number;
}

export class EventLoopWatch {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private stalls = 0;
  private last = performance.now();

  constructor(private readonly options: EventLoopWatchOptions) {
    const stallMs = options.stallMs ?? 50;
    const checkIntervalMs = options.checkIntervalMs ?? 20;
    if (!(stallMs > 0) || !(checkIntervalMs > 0)) throw new RangeError(`EventLoopWatch: stallMs (${stallMs}) and checkIntervalMs (${checkIntervalMs}) must be positive`);
    this.histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - this.last - checkIntervalMs;
      this.last = now;
      if (lateMs >= stallMs) {
        this.stalls++;
        const context = options.describe?.();
        options.log(`event loop stalled ${Math.round(lateMs)} ms${context ? ` (${context})` : ''}`);
      }
    }, checkIntervalMs);
    this.timer.unref();
  }

  /** Delay percentiles since the start or the last reset. */
  delay(): EventLoopDelay {
    // The histogram records whole intervals between its timer's runs, so an idle loop reads 10 ms (its
    // resolution): the delay is what lies beyond that.
    const ms = (ns: number): number => Math.max(0, Math.round((ns - HISTOGRAM_RESOLUTION_MS * 1e6) / 1e4) / 100);
    const empty = this.histogram.count === 0;
    return {
      p50Ms: empty ? 0 : ms(this.histogram.percentile(50)),
      p99Ms: empty ? 0 : ms(this.histogram.percentile(99)),
      maxMs: empty ? 0 : ms(this.histogram.max),
      stalls: this.stalls,
    };
  }

  reset(): void {
    this.histogram.reset();
    this.stalls = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
