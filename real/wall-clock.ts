import type { Clock, TimerId, TimerOptions } from '../core/env';
import { SlotMap } from '../core/slot-map';

/**
 * The real Clock: wall time in microseconds (Date.now × 1000 plus a monotonic sub-millisecond part) and
 * Node timers. Delayed timers are unref'd so a node's housekeeping never keeps a finished process alive;
 * zero-delay ones stay ref'd (see setTimer).
 *
 * A zero delay ("later, off this stack") is a setImmediate, not a setTimeout: Node clamps setTimeout(0) to
 * 1 ms, and the core defers on hot paths — a coordinator's reply from its own replica on every read, the
 * engine's flush and compaction steps — so every GET waited at least 1 ms for its local answer.
 *
 * A delayed timer runs its callback one setImmediate after its setTimeout fires: after the event loop's poll
 * phase, not before it. Node runs due timers before it reads the sockets, so after a long synchronous stretch
 * a request's deadline fired while the replies that had arrived in time sat unread: a prefix listing that
 * blocked the loop for 2 s answered "missing: n1, n2" though both had answered (found by a review of the HTTP
 * API). The core's deadlines are "no answer by then", and an answer already in the socket is in by then.
 */
export class WallClock implements Clock {
  private readonly timers = new SlotMap<NodeJS.Timeout | NodeJS.Immediate>();
  private nextId = 1;
  private readonly wallAtStartMicros = Date.now() * 1000;
  private readonly monotonicAtStart = process.hrtime.bigint();

  nowMicros(): number {
    const elapsedMicros = Number((process.hrtime.bigint() - this.monotonicAtStart) / 1000n);
    return this.wallAtStartMicros + elapsedMicros;
  }

  setTimer(delayMicros: number, callback: () => void, options?: TimerOptions): TimerId {
    const id = this.nextId++;
    // Arguments instead of a closure per timer: the core sets two or three timers per request.
    // Only delayed housekeeping timers are unref'd (they must not keep a finished process alive); a delayed
    // timer that is pending work (keepAlive: an engine's paused flush step) is not. An unref'd setImmediate
    // also stops libuv's idle handle, so the loop may block in poll until some other event wakes it:
    // background flush/compaction steps then crawled (a 1 GB full compaction took 518 s instead of ~6 s).
    let handle: NodeJS.Timeout | NodeJS.Immediate;
    if (delayMicros > 0) {
      const timeout = setTimeout(afterPoll, delayMicros / 1000, this.timers, id, callback);
      if (options?.keepAlive !== true) timeout.unref();
      handle = timeout;
    } else {
      handle = setImmediate(fire, this.timers, id, callback);
    }
    this.timers.set(id, handle);
    return id;
  }

  cancelTimer(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle === undefined) return;
    clear(handle);
    this.timers.delete(id);
  }

  /** Cancels every timer (used on shutdown). */
  cancelAll(): void {
    for (const handle of this.timers.valueList()) clear(handle);
    this.timers.clear();
  }
}

/** A delayed timer is due: run it after this turn's I/O (see the class comment), still cancellable until then. */
function afterPoll(timers: SlotMap<NodeJS.Timeout | NodeJS.Immediate>, id: TimerId, callback: () => void): void {
  timers.set(id, setImmediate(fire, timers, id, callback));
}

function fire(timers: SlotMap<unknown>, id: TimerId, callback: () => void): void {
  timers.delete(id);
  callback();
}

function clear(handle: NodeJS.Timeout | NodeJS.Immediate): void {
  if ('refresh' in handle) clearTimeout(handle); // only a Timeout can be refreshed
  else clearImmediate(handle);
}
