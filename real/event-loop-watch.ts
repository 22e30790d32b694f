import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { histogramMs } from './histogram-summary';

/**
 * How long a real node's event loop keeps requests waiting. Everything a node does — HTTP parsing,
 * replication messages, WAL appends, background flush and compaction steps, garbage collection — runs on
 * its one JavaScript thread, so a stall of the loop is added to the latency of every request in flight. Two
 * views of it:
 *
 * - a histogram of loop delay (Node's `monitorEventLoopDelay`, sampling every 10 ms), reported in
 *   `GET /v1/status` as p50/p99/max since the node started, and resettable, so a load test can read one
 *   phase;
 * - a stall log (when `log` is given): a timer that expects to run every 20 ms and logs one line when it ran
 *   `stallMs` (default 50) or more late, naming how late and what the storage engine was doing (the usual
 *   suspects are a long GC pause, or a background step that ran too long).
 *
 * Both timers are unref'd: watching never keeps a process alive.
 */
const HISTOGRAM_RESOLUTION_MS = 10;
const STALL_CHECK_INTERVAL_MS = 20;

export interface EventLoopWatchOptions {
  /** Log a stall when the loop is this late or more (default 50 ms). */
  stallMs?: number;
  /** Called with one line per stall; without it only the histogram runs. */
  log?: (message: string) => void;
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
  private readonly timer: NodeJS.Timeout | null = null;
  private stalls = 0;
  private last = performance.now();

  constructor(options: EventLoopWatchOptions) {
    const stallMs = options.stallMs ?? 50;
    if (!(stallMs > 0)) throw new RangeError(`EventLoopWatch: stallMs (${stallMs}) must be positive`);
    this.histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
    this.histogram.enable();
    const log = options.log;
    if (log === undefined) return;
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - this.last - STALL_CHECK_INTERVAL_MS;
      this.last = now;
      if (lateMs >= stallMs) {
        this.stalls++;
        const context = options.describe?.();
        log(`event loop stalled ${Math.round(lateMs)} ms${context ? ` (${context})` : ''}`);
      }
    }, STALL_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Delay percentiles since the start or the last reset. */
  delay(): EventLoopDelay {
    // The histogram records whole intervals between its timer's runs, so an idle loop reads 10 ms (its
    // resolution): the delay is what lies beyond that.
    const { p50Ms, p99Ms, maxMs } = histogramMs(this.histogram, (ns) => Math.max(0, Math.round((ns - HISTOGRAM_RESOLUTION_MS * 1e6) / 1e4) / 100));
    return { p50Ms, p99Ms, maxMs, stalls: this.stalls };
  }

  reset(): void {
    this.histogram.reset();
    this.stalls = 0;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.histogram.disable();
  }
}
