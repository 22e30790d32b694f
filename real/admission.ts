import type * as http from 'node:http';
import type { Socket } from 'node:net';

/**
 * Admission control for the HTTP API: at most `limit` key requests in progress, and at most `maxBodyBytes` of
 * their request bodies; past either a new one is refused at once (503 `overloaded`) instead of queued. A node that only queues answers everyone late once
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

/**
 * Request-body bytes in progress a node admits unless configured otherwise (node config `maxInFlightBodyMiB`).
 *
 * Found by a review: counting requests alone let 400 concurrent 1 MiB PUTs in, and one node reached 4.7 GB of
 * memory — each 1 MiB value in progress costs several MiB (the body, its encodings for the log and the
 * replicas, the log batch: 668 MB of RSS with 100 of them, here). So bodies are bounded too: a request is
 * admitted with the bytes it declares (Content-Length; a chunked body counts as the largest value, 1 MiB,
 * until it ends), held like its slot until the node's work for it has called back. At 64 MiB the review's 400
 * concurrent PUTs peaked under 0.6 GB — 64 concurrent 1 MiB writes are more than one disk's group commit
 * needs — and small values are left alone (4096 requests of 16 KiB fit). One request with a body is always admitted when no
 * other holds bytes, so a bound set below 1 MiB still lets the largest value through, one at a time.
 */
export const DEFAULT_MAX_BODY_MIB_IN_FLIGHT = 64;
const MiB = 1024 * 1024;

/** Why a request was refused: too many requests, or too many body bytes, in progress. */
export type Refusal = 'requests' | 'bytes';

const SLOT = Symbol('admission slot');
const SOCKET_SLOTS = Symbol('admitted responses');

interface Slot {
  closed: boolean;
  working: boolean;
  /** Body bytes this request holds of the bound. */
  bytes: number;
  readonly socket: TrackedSocket;
}
type Tracked = http.ServerResponse & { [SLOT]?: Slot };
// An array, not a Set: a long-lived Set with add/delete churn makes V8 promote what it held (see
// core/slot-map.ts), and a connection rarely has more than one or two responses in progress.
type TrackedSocket = Socket & { [SOCKET_SLOTS]?: Tracked[] };

export class Admission {
  private inFlightCount = 0;
  private bodyBytesCount = 0;
  private shedCount = 0;
  /** One listener for every admitted response ('close'), not a closure per request. */
  private readonly onResponseClose: (this: Tracked) => void;

  constructor(
    readonly limit: number,
    /** Request-body bytes in progress past which a request with a body is refused (see DEFAULT_MAX_BODY_MIB_IN_FLIGHT). */
    readonly maxBodyBytes: number = DEFAULT_MAX_BODY_MIB_IN_FLIGHT * MiB,
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${limit}`);
    if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 1)) throw new RangeError(`maxBodyBytesInFlight must be an integer ≥ 1, got ${maxBodyBytes}`);
    const admission = this;
    this.onResponseClose = function (this: Tracked): void {
      admission.closed(this);
    };
  }

  /** Key requests admitted and not yet released. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Request-body bytes held by admitted requests (declared or, once a body has ended, received). */
  get bodyBytesInFlight(): number {
    return this.bodyBytesCount;
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

  /**
   * Whether a request with `bodyBytes` of body would pass the bytes bound now. One is always admitted while no
   * other holds any (else a body larger than the bound could never be written).
   */
  wouldExceedBytes(bodyBytes: number): boolean {
    return bodyBytes > 0 && this.bodyBytesCount > 0 && this.bodyBytesCount + bodyBytes > this.maxBodyBytes;
  }

  /**
   * Takes a slot for `res`, holding `bodyBytes` of the body bound, or counts a refusal and says why (null:
   * admitted).
   */
  admit(req: http.IncomingMessage, res: http.ServerResponse, bodyBytes = 0): Refusal | null {
    const refusal: Refusal | null = this.full ? 'requests' : this.wouldExceedBytes(bodyBytes) ? 'bytes' : null;
    if (refusal !== null) {
      this.shedCount++;
      return refusal;
    }
    this.inFlightCount++;
    this.bodyBytesCount += bodyBytes;
    const tracked = res as Tracked;
    const socket = req.socket as TrackedSocket;
    tracked[SLOT] = { closed: false, working: false, bytes: bodyBytes, socket };
    (socket[SOCKET_SLOTS] ??= []).push(tracked);
    tracked.once('close', this.onResponseClose);
    return null;
  }

  /** The body of `res`'s request has ended with `bytes`: it holds that much of the bound from now on. */
  resize(res: http.ServerResponse, bytes: number): void {
    const slot = (res as Tracked)[SLOT];
    if (slot === undefined) return;
    this.bodyBytesCount += bytes - slot.bytes;
    slot.bytes = bytes;
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
    this.bodyBytesCount -= slot.bytes;
    const held = slot.socket[SOCKET_SLOTS];
    if (held !== undefined) {
      const at = held.indexOf(res);
      if (at >= 0) held.splice(at, 1);
    }
    res[SLOT] = undefined;
    if (!(this.inFlightCount >= 0 && this.bodyBytesCount >= 0)) throw new Error(`admission: in-flight count went to ${this.inFlightCount}, body bytes to ${this.bodyBytesCount}`);
  }
}
