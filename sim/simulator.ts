import { EventQueue, type QueuedEvent } from './event-queue';
import { SeededRandom } from './random';
import { TraceHash } from './trace-hash';

/**
 * The deterministic discrete-event kernel. Only this class advances virtual time.
 *
 * Every callback the simulated world runs — a timer, a message delivery, an fsync completion, a fault — is
 * one event, run synchronously to completion in (time, sequence) order. Each delivered event is folded into
 * the trace hash as (time, kind tag, two detail words), so identical seeds give identical hashes and any
 * divergence in timing, ordering or content shows up.
 */
export interface EventHandler {
  /** Runs `event` (scheduled with `scheduleRecord` and this handler). */
  fire(event: SimEvent): void;
}

/**
 * One scheduled event — a record rather than a closure. Most events are timers and message deliveries, which
 * the kernel hands to their `handler` (the node's SimClock, the SimNetwork) together with a few payload slots,
 * so scheduling one costs a single object of one fixed shape instead of a closure, its context and the
 * record. Other events carry a `callback` and no handler. The payload slots mean what the handler says.
 */
export class SimEvent implements QueuedEvent {
  cancelled = false;

  constructor(
    readonly at: number,
    readonly sequence: number,
    readonly tag: EventTag,
    /** Detail words mixed into the trace (e.g. node index, message digest). */
    readonly detailA: number,
    readonly detailB: number,
    // Not readonly: `cancel` drops them (see there).
    public callback: (() => void) | null,
    readonly handler: EventHandler | null,
    /** Payload for the handler. */
    public ref: unknown,
    public data: unknown,
    readonly number: number,
  ) {}
}

/** What kind of event this is; part of the trace hash, and counted per kind for run statistics. */
export enum EventTag {
  Timer = 1,
  MessageDelivery = 2,
  DiskSync = 3,
  Fault = 4,
  Workload = 5,
  Control = 6,
}

export interface RunLimits {
  /** Stop before running any event later than this virtual time (µs). The clock is advanced to it. */
  untilMicros?: number;
  /** Stop after this many events (a guard against livelock). */
  maxEvents?: number;
}

export class Simulator {
  private readonly queue = new EventQueue<SimEvent>();
  private sequence = 0;
  private nowValue = 0;
  private stopRequested = false;
  readonly trace = new TraceHash();
  readonly random: SeededRandom;
  /** Events run, indexed by EventTag. */
  readonly eventsByTag: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

  constructor(readonly seed: number | string) {
    this.random = SeededRandom.fromSeed(seed);
  }

  /** True (not skewed) virtual time in microseconds. */
  get nowMicros(): number {
    return this.nowValue;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  get deliveredEvents(): number {
    return this.trace.events;
  }

  /** Schedules `callback` after `delayMicros` of virtual time. Delays are rounded up to whole microseconds. */
  schedule(delayMicros: number, tag: EventTag, callback: () => void, detailA = 0, detailB = 0): SimEvent {
    if (!(delayMicros >= 0) || !Number.isFinite(delayMicros)) {
      throw new RangeError(`cannot schedule an event ${delayMicros} µs from now (need a finite delay ≥ 0)`);
    }
    return this.scheduleAt(this.nowValue + Math.ceil(delayMicros), tag, callback, detailA, detailB);
  }

  /** Schedules `callback` at absolute virtual time `atMicros` (not before now). */
  scheduleAt(atMicros: number, tag: EventTag, callback: () => void, detailA = 0, detailB = 0): SimEvent {
    if (atMicros < this.nowValue || !Number.isFinite(atMicros)) {
      throw new RangeError(`cannot schedule at ${atMicros} µs: virtual time is already ${this.nowValue} µs`);
    }
    const event = new SimEvent(Math.ceil(atMicros), this.sequence++, tag, detailA, detailB, callback, null, undefined, undefined, 0);
    this.queue.push(event);
    return event;
  }

  /**
   * Schedules an event record for `handler` at absolute virtual time `atMicros` (not before now): at its time
   * the kernel calls `handler.fire(event)`, which reads the payload slots (`ref`, `data`, `number`) it set here.
   */
  scheduleRecord(atMicros: number, tag: EventTag, handler: EventHandler, ref: unknown, data: unknown, number: number, detailA: number, detailB: number): SimEvent {
    if (atMicros < this.nowValue || !Number.isFinite(atMicros)) {
      throw new RangeError(`cannot schedule at ${atMicros} µs: virtual time is already ${this.nowValue} µs`);
    }
    const event = new SimEvent(Math.ceil(atMicros), this.sequence++, tag, detailA, detailB, null, handler, ref, data, number);
    this.queue.push(event);
    return event;
  }

  /**
   * Marks `event` cancelled; it stays queued (a heap delete would cost more) but will not run. Its callback
   * and payload are dropped now: a request's deadline timer, cancelled as soon as the request settles, would
   * otherwise keep the request — its closures, sibling sets and message buffers — reachable until the
   * deadline, long enough for the garbage collector to promote all of it to the old generation.
   */
  cancel(event: SimEvent): void {
    event.cancelled = true;
    event.callback = null;
    event.ref = undefined;
    event.data = undefined;
  }

  /** Asks `run` to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events in order until the queue empties, `untilMicros` is reached, `maxEvents` have run, or `stop()`.
   * Returns the number of events run (cancelled events are skipped and not counted).
   */
  run(limits: RunLimits = {}): number {
    const until = limits.untilMicros ?? Number.POSITIVE_INFINITY;
    const maxEvents = limits.maxEvents ?? Number.POSITIVE_INFINITY;
    const trace = this.trace;
    this.stopRequested = false;
    let ran = 0;
    const queue = this.queue;
    while (ran < maxEvents && !this.stopRequested) {
      if (queue.size === 0 || queue.peekAt() > until) break;
      const next = queue.pop() as SimEvent;
      if (next.cancelled) continue;
      if (next.at < this.nowValue) throw new Error(`event queue went back in time: ${next.at} < ${this.nowValue}`);
      this.nowValue = next.at;
      trace.mixNumber(next.at);
      trace.mixNumber(next.tag);
      trace.mixNumber(next.detailA);
      trace.mixNumber(next.detailB);
      trace.endEvent();
      this.eventsByTag[next.tag]!++;
      const handler = next.handler;
      if (handler !== null) handler.fire(next);
      else (next.callback as () => void)();
      ran++;
    }
    if (until !== Number.POSITIVE_INFINITY && !this.stopRequested && ran < maxEvents && this.nowValue < until) {
      this.nowValue = until;
    }
    return ran;
  }

  traceHash(): string {
    return this.trace.hex();
  }
}
