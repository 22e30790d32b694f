import type { Clock, NodeId, TimerId } from '../env';
import type { RangeAckMessage, RangeBatchMessage, RangePullMessage } from '../replication/messages';
import { keyPosition, rangeContains, type RingRange } from '../ring';

/**
 * Range transfer: moving the sibling sets of some ring arcs from one node to another, in bounded batches.
 *
 * - **Pull** (a joining node): for each source, "RangePull ranges after=cursor" → the source scans its data
 *   records in key order after the cursor, keeps those whose ring position lies in the ranges, and answers one
 *   RangeBatch (≤ `batch` sets, ≤ `scanLimit` records scanned) with the cursor to continue from. The puller
 *   stores every set (a merge, so repeats are harmless), waits for the fsyncs, then pulls again.
 * - **Push** (a leaving node): the same scan, run locally; each batch goes to the new owner as a pushed
 *   RangeBatch and the next one follows its RangeAck (sent after the receiver's fsync).
 *
 * Both directions are stop-and-wait per stream, so one stream holds at most one batch in flight; a request
 * that gets no answer within `retryMicros` is sent again (a lost message, or a peer that is down — it is
 * retried until it answers). Stores merge, so duplicated or retried batches change nothing.
 */
export interface TransferHost {
  readonly self: NodeId;
  readonly clock: Clock;
  send(to: NodeId, message: RangePullMessage | RangeBatchMessage | RangeAckMessage): void;
  /** Data records (user key, encoded sibling set) in key order strictly after `after`, at most `limit`. */
  scanAfter(after: Uint8Array, limit: number): { key: Uint8Array; siblings: Uint8Array }[];
  /** Merges one received sibling set into this replica; `done` after it is durable. */
  store(key: Uint8Array, siblings: Uint8Array, done: (error: Error | null) => void): void;
}

export interface TransferOptions {
  /** Sibling sets per batch. */
  batch: number;
  /** Records a source scans for one batch at most (keys outside the ranges are skipped, not sent). */
  scanLimit: number;
  /** Resend an unanswered pull or push after this long. */
  retryMicros: number;
}

export interface TransferFigures {
  keysSent: number;
  keysReceived: number;
  batchesSent: number;
  retries: number;
}

/** One stream: the arcs one node sends another. */
export interface StreamPlan {
  readonly peer: NodeId;
  readonly ranges: readonly RingRange[];
}

interface Stream {
  plan: StreamPlan;
  cursor: Uint8Array;
  requestId: number;
  timer: TimerId | undefined;
  /** For push: the batch in flight (resent as is on timeout). */
  inFlight: RangeBatchMessage | undefined;
  done: boolean;
}

interface Job {
  kind: 'pull' | 'push';
  streams: Stream[];
  finished: () => void;
  cancelled: boolean;
}

const EMPTY = new Uint8Array(0);

export class RangeTransfer {
  readonly figures: TransferFigures = { keysSent: 0, keysReceived: 0, batchesSent: 0, retries: 0 };
  private readonly byRequest = new Map<number, { job: Job; stream: Stream }>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly host: TransferHost, private readonly options: TransferOptions) {
    if (!(options.batch >= 1 && options.scanLimit >= options.batch && options.retryMicros > 0)) throw new RangeError('range transfer needs batch ≥ 1, scanLimit ≥ batch, retry > 0');
  }

  /** Fetches `plans` (one stream per source, in parallel); `finished` once every stream reached its end. */
  pull(plans: readonly StreamPlan[], finished: () => void): () => void {
    return this.run('pull', plans, finished);
  }

  /** Sends `plans` (one stream per new owner, in parallel); `finished` once every batch was acknowledged. */
  push(plans: readonly StreamPlan[], finished: () => void): () => void {
    return this.run('push', plans, finished);
  }

  stop(): void {
    this.stopped = true;
    for (const { stream } of this.byRequest.values()) if (stream.timer !== undefined) this.host.clock.cancelTimer(stream.timer);
    this.byRequest.clear();
  }

  receive(from: NodeId, message: RangePullMessage | RangeBatchMessage | RangeAckMessage): void {
    if (this.stopped) return;
    if (message.type === 'range-pull') return this.answerPull(from, message);
    if (message.type === 'range-batch' && message.pushed) return this.acceptPush(from, message);
    const entry = this.byRequest.get(message.requestId);
    if (entry === undefined || entry.stream.plan.peer !== from || entry.job.cancelled) return; // late or duplicate
    this.byRequest.delete(message.requestId);
    const { job, stream } = entry;
    if (stream.timer !== undefined) this.host.clock.cancelTimer(stream.timer);
    if (message.type === 'range-batch') this.pulled(job, stream, message);
    else this.acked(job, stream);
  }

  // ------------------------------------------------------------------------------------------------ jobs

  private run(kind: 'pull' | 'push', plans: readonly StreamPlan[], finished: () => void): () => void {
    const job: Job = { kind, streams: [], finished, cancelled: false };
    for (const plan of plans) {
      if (plan.peer === this.host.self) throw new Error(`range transfer: ${kind} stream to itself`);
      if (plan.ranges.length > 0) job.streams.push({ plan, cursor: EMPTY, requestId: 0, timer: undefined, inFlight: undefined, done: false });
    }
    if (job.streams.length === 0) this.host.clock.setTimer(0, () => !job.cancelled && finished());
    for (const stream of job.streams) this.step(job, stream);
    return () => {
      job.cancelled = true;
      for (const stream of job.streams) if (stream.timer !== undefined) this.host.clock.cancelTimer(stream.timer);
    };
  }

  /** Sends the stream's next request (a pull, or the next pushed batch). */
  private step(job: Job, stream: Stream): void {
    if (this.stopped || job.cancelled) return;
    const requestId = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    stream.requestId = requestId;
    this.byRequest.set(requestId, { job, stream });
    if (job.kind === 'pull') {
      this.host.send(stream.plan.peer, { type: 'range-pull', requestId, after: stream.cursor, limit: this.options.batch, ranges: stream.plan.ranges.map((r) => ({ start: r.start, end: r.end })) });
    } else {
      const batch = stream.inFlight ?? this.collect(stream.cursor, stream.plan.ranges, this.options.batch);
      stream.inFlight = { type: 'range-batch', requestId, pushed: true, more: batch.more, next: batch.next, entries: batch.entries };
      this.figures.batchesSent++;
      this.figures.keysSent += batch.entries.length;
      this.host.send(stream.plan.peer, stream.inFlight);
    }
    stream.timer = this.host.clock.setTimer(this.options.retryMicros, () => {
      if (!this.byRequest.delete(requestId) || job.cancelled) return;
      this.figures.retries++;
      this.step(job, stream);
    });
  }

  private pulled(job: Job, stream: Stream, message: RangeBatchMessage): void {
    this.storeAll(message.entries, (ok) => {
      if (job.cancelled) return;
      if (!ok) {
        // Pull the same batch again, after a pause: at once, a failed local engine (every store fails until a
        // restart) made source and puller bounce the batch back and forth as fast as the network allowed, and a
        // simulation with a joiner whose disk failed never finished (found by a review).
        this.figures.retries++;
        stream.timer = this.host.clock.setTimer(this.options.retryMicros, () => this.step(job, stream));
        return;
      }
      this.figures.keysReceived += message.entries.length;
      stream.cursor = message.next.slice();
      if (message.more) this.step(job, stream);
      else this.streamDone(job, stream);
    });
  }

  private acked(job: Job, stream: Stream): void {
    const batch = stream.inFlight!;
    stream.inFlight = undefined;
    stream.cursor = batch.next;
    if (batch.more) this.step(job, stream);
    else this.streamDone(job, stream);
  }

  private streamDone(job: Job, stream: Stream): void {
    stream.done = true;
    if (job.streams.every((s) => s.done)) job.finished();
  }

  // ------------------------------------------------------------------------------------------------ serving

  private answerPull(from: NodeId, message: RangePullMessage): void {
    const limit = Math.max(1, Math.min(message.limit, this.options.batch));
    const batch = this.collect(message.after, message.ranges, limit);
    this.figures.batchesSent++;
    this.figures.keysSent += batch.entries.length;
    this.host.send(from, { type: 'range-batch', requestId: message.requestId, pushed: false, more: batch.more, next: batch.next, entries: batch.entries });
  }

  private acceptPush(from: NodeId, message: RangeBatchMessage): void {
    this.storeAll(message.entries, (ok) => {
      if (!ok) return; // not acknowledged: the pusher's retry brings the batch again
      this.figures.keysReceived += message.entries.length;
      this.host.send(from, { type: 'range-ack', requestId: message.requestId });
    });
  }

  /**
   * The next batch of this replica's sets in `ranges` after `after`: scans at most scanLimit records, so a
   * source whose keys mostly lie elsewhere answers promptly (with fewer sets and `more`).
   */
  private collect(after: Uint8Array, ranges: readonly RingRange[], limit: number): { entries: { key: Uint8Array; siblings: Uint8Array }[]; more: boolean; next: Uint8Array } {
    const scanned = this.host.scanAfter(after, this.options.scanLimit);
    const entries: { key: Uint8Array; siblings: Uint8Array }[] = [];
    let next = after;
    for (const record of scanned) {
      next = record.key;
      const position = keyPosition(record.key);
      if (ranges.some((range) => rangeContains(range, position))) {
        entries.push(record);
        if (entries.length >= limit) break;
      }
    }
    const more = entries.length >= limit || scanned.length >= this.options.scanLimit;
    return { entries, more, next: next.slice() };
  }

  private storeAll(entries: readonly { key: Uint8Array; siblings: Uint8Array }[], done: (ok: boolean) => void): void {
    let pending = entries.length;
    if (pending === 0) {
      this.host.clock.setTimer(0, () => done(true));
      return;
    }
    let failed = false;
    for (const entry of entries) {
      this.host.store(entry.key, entry.siblings, (error) => {
        if (error !== null) failed = true;
        if (--pending === 0) done(!failed);
      });
    }
  }
}
