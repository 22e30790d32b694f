import type * as http from 'node:http';
import type { Socket } from 'node:net';

/**
 * Admission control for the HTTP API: at most `limit` key requests in progress; past that a new one is
 * refused at once (503 `overloaded`) instead of queued. A node that only queues answers everyone late once
 * it falls behind, and holds every queued request's state meanwhile; refusing the excess keeps the admitted
 * ones fast and tells clients to back off.
 *
 * A slot is held from admission until both the response is closed (sent, or its client gone) and the work
 * the node started for it has called back. Releasing on the response alone would let clients that give up
 * under overload — exactly the ones that leave — free slots while the node still works for them.
 *
 * A response emits 'close' once it finished or its socket closed — except a pipelined response still queued
 * behind another on the same connection: when the socket closes, node:http destroys its request and never
 * emits anything on the response. So every socket also releases, when it closes, whatever it still holds.
 */
/** Key requests in progress a node admits unless configured otherwise (node config `maxInFlightRequests`). */
export const DEFAULT_MAX_IN_FLIGHT = 4096;

const SLOT = Symbol('admission slot');
const SOCKET_SLOTS = Symbol('admitted responses');

interface Slot {
  closed: boolean;
  working: boolean;
  readonly socket: TrackedSocket;
}
type Tracked = http.ServerResponse & { [SLOT]?: Slot };
// An array, not a Set: a long-lived Set with add/delete churn makes V8 promote what it held (see
// core/slot-map.ts), and a connection rarely has more than one or two responses in progress.
type TrackedSocket = Socket & { [SOCKET_SLOTS]?: Tracked[] };

export class Admission {
  private inFlightCount = 0;
  private shedCount = 0;
  /** One listener for every admitted response ('close'), not a closure per request. */
  private readonly onResponseClose: (this: Tracked) => void;

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${limit}`);
    const admission = this;
    this.onResponseClose = function (this: Tracked): void {
      admission.closed(this);
    };
  }

  /** Key requests admitted and not yet released. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Requests refused so far. */
  get shed(): number {
    return this.shedCount;
  }

  get full(): boolean {
    return this.inFlightCount >= this.limit;
  }

  /** Call once per server: a closing socket releases the responses it still holds (see above). */
  watch(server: http.Server): void {
    server.on('connection', (socket: TrackedSocket) => {
      socket.once('close', () => {
        const held = socket[SOCKET_SLOTS];
        if (held !== undefined) for (const res of held.slice()) this.closed(res);
      });
    });
  }

  /** Takes a slot for `res`, or counts a refusal and returns false when none is free. */
  admit(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (this.full) {
      this.shedCount++;
      return false;
    }
    this.inFlightCount++;
    const tracked = res as Tracked;
    const socket = req.socket as TrackedSocket;
    tracked[SLOT] = { closed: false, working: false, socket };
    (socket[SOCKET_SLOTS] ??= []).push(tracked);
    tracked.once('close', this.onResponseClose);
    return true;
  }

  /**
   * The node starts work for `res`: its slot is kept until `finish(res)` (from the node's callback), even if
   * the response closes first. Both are no-ops for a response that was not admitted.
   */
  work(res: http.ServerResponse): void {
    const slot = (res as Tracked)[SLOT];
    if (slot !== undefined) slot.working = true;
  }

  /** The node's work for `res` has called back (see work). */
  finish(res: http.ServerResponse): void {
    const slot = (res as Tracked)[SLOT];
    if (slot === undefined) return;
    slot.working = false;
    this.release(res as Tracked, slot);
  }

  private closed(res: Tracked): void {
    const slot = res[SLOT];
    if (slot === undefined) return;
    slot.closed = true;
    this.release(res, slot);
  }

  /** Frees the slot once the response is closed and no work is pending; the slot is then gone from `res`. */
  private release(res: Tracked, slot: Slot): void {
    if (!slot.closed || slot.working) return;
    this.inFlightCount--;
    const held = slot.socket[SOCKET_SLOTS];
    if (held !== undefined) {
      const at = held.indexOf(res);
      if (at >= 0) held.splice(at, 1);
    }
    res[SLOT] = undefined;
    if (!(this.inFlightCount >= 0)) throw new Error(`admission: in-flight count went to ${this.inFlightCount}`);
  }
}
