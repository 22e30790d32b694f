import * as http from 'node:http';
import type * as net from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createHistogram } from 'node:perf_hooks';
import { histogramMs } from './histogram-summary';
import { MAX_TTL_MICROS, type ReadResult, type StorageNode, type WriteOptions, type WriteResult } from '../core/node';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../core/replication/limits';
import { Admission, DEFAULT_MAX_BODY_MIB_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT } from './admission';
import { decodeKeyPath, encodeKeyPath, KeyPathError } from './key-path';

/**
 * The client HTTP API of one real node (node:http). Any node answers any key: writes are forwarded to an
 * owner by the core, reads are coordinated where they arrive.
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /v1/keys/{key}?r=` | 200 + raw value; 300 + JSON `{"siblings":[base64…]}` when concurrent versions exist; 404 if absent or deleted |
 * | `PUT /v1/keys/{key}?w=&ttl=` body = value | 204; with `If-Match: <etag>` a compare-and-set (412 on mismatch); `If-Match: *` = only if the key has a live value (412 otherwise); `If-None-Match: *` = create only if absent (412 otherwise) |
 * | `DELETE /v1/keys/{key}?w=` | 204; with `X-Dynalab-Context` removes what that context saw; without it the node reads the key at a majority first and removes what it read; `If-Match: <etag>` / `If-Match: *` = only if the current version has that etag / a live value (412 otherwise) |
 * | `GET /v1/keys?prefix=&limit=` | JSON `{"keys":[…],…}`: keys under the prefix, gathered from every member (scatter-gather); each listed key is percent-encoded as in `/v1/keys/{key}` |
 * | `GET /v1/status?reset=1` | JSON: node id, members, quorum settings, counters, request latency (server side) and event-loop delay; `reset=1` starts a new latency window after answering |
 *
 * - `{key}` is percent-decoded to bytes (binary-safe; see key-path.ts); so is `prefix`, by the same rules (`%FF` is the
 *   byte 0xFF and `+` is a plus, not a space; a malformed escape is a 400), so any listed key can be a prefix.
 * - `If-Match` is `*` or one etag (quoted or not); `If-None-Match` only `*` (on PUT); never both on one request (400).
 * - The causal context travels base64 in `X-Dynalab-Context` (as Riak's X-Riak-Vclock): GET returns it; send it
 *   back on PUT/DELETE to supersede what you read. Without it a PUT is blind and, in vclock mode, becomes a
 *   sibling of whatever it did not see; a DELETE without it is not blind (the node reads first, see above).
 * - `ETag` (GET) is the version's fingerprint, for `If-Match`.
 * - `ttl` is in **seconds** (fractions allowed: `ttl=0.5`, decimal digits only), like Redis's EX and Cassandra's
 *   USING TTL; from 0.000001 s (1 µs) to 1576800000 s (50 years).
 * - Each route takes only the query parameters in the table, each once; any other is a 400 naming it. A target in
 *   absolute form (`http://host:port/v1/keys/k`, RFC 9112 §3.2.2) is routed by its path.
 * - Errors are JSON `{"error": "...", "code": "..."}`: 400 malformed, 401 missing/wrong bearer token (scheme
 *   `Bearer`, any case), 413 key > 256 B or value > 1 MiB (at once: see refuseBody), 412 conditional write/delete conflict, 500 `internal` (a bug:
 *   it costs that request only, and is logged with its stack), 503 quorum not met (says how many replicas answered),
 *   503 `overloaded` with `Retry-After: 1` when the node is already answering `maxInFlight` requests, or holds
 *   `maxBodyBytesInFlight` of request bodies (a request with a body is admitted with the bytes it declares).
 *
 * Admission control (admission.ts): past `maxInFlight` key requests in progress, a new one is refused at once
 * instead of queued. `GET /v1/status` is always answered, so an operator can see why.
 */
export interface HttpApiOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra fields for GET /v1/status (node process details). */
  status?: () => Record<string, unknown>;
  /** Called by GET /v1/status?reset=1 after answering: start new windows for what `status` reports. */
  resetStatusWindow?: () => void;
  /** Key requests in progress beyond which new ones get 503 `overloaded` (default DEFAULT_MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /**
   * Request-body bytes in progress beyond which a key request with a body gets 503 `overloaded` (default
   * DEFAULT_MAX_BODY_MIB_IN_FLIGHT MiB; see admission.ts). The node config sets it as `maxInFlightBodyMiB`.
   */
  maxBodyBytesInFlight?: number;
  /**
   * Peers this node cannot reach and why (TcpTransport.unreachablePeers): a quorum 503 names them, so a
   * client sees "n1: peer n1 runs 'conflict=lww …' but this node runs …" instead of only a count.
   */
  unreachablePeers?: () => { peer: string; reason: string }[];
  /** Client connections open at once; past it a new one is closed as it arrives (node's `server.maxConnections`). */
  maxConnections?: number;
  /** Told (at most once per 10 s) when connections were refused for the cap above. */
  onConnectionsRefused?: (refusedSinceLastReport: number, cap: number) => void;
  /**
   * A request (headers and body) must arrive within this, its headers within a third of it (default 30 s; node's
   * own defaults are 300 s and 60 s). Past it the client gets a 408 and the connection is closed: a body that
   * stopped half way held its admission slot for over five minutes, then got a bare 400 (a review).
   */
  requestTimeoutMs?: number;
  /**
   * Requests that may wait on one connection behind the one being answered (default DEFAULT_MAX_PIPELINED).
   * Past PIPELINE_PAUSE_AT of them the connection is read no further until they drain, so only a client whose
   * single read already held more than this meets it: the one past it is answered 503 `overloaded` in its turn
   * and the connection closes.
   */
  maxPipelined?: number;
  /**
   * The node's replica count (config `n`): a PUT or DELETE whose `w` is above it is refused before its body is
   * invited or read. Unset, only w=0 is refused that early; the core refuses the rest once it has the body.
   */
  n?: number;
}

/** When the request arrived (performance.now()), on the response object: no closure per request. */
const ARRIVED = Symbol('arrived');
/** The connection a response belongs to (kept: `res.socket` is gone by the time 'close' fires). */
const CONNECTION = Symbol('connection');
type TimedResponse = http.ServerResponse & {
  [ARRIVED]?: number;
  [CONNECTION]?: PipelinedSocket;
  [FAILED]?: ClientErrorAnswer;
  [KEEP_ALIVE]?: boolean;
  [END_REFUSAL]?: () => void;
};

/**
 * A connection's requests run one at a time, in order. HTTP/1.1 lets a client pipeline requests, and node:http
 * hands them over as fast as it parses them; run side by side, a GET pipelined behind a PUT on the same key
 * was answered before the PUT was applied (found by a review: 204 then 404, 20 of 20 tries). RFC 9112 §9.3.2
 * allows parallel processing only of safe methods; the answers go back in order anyway, so running each
 * request when the one before it has answered costs a pipelining client nothing it could have seen.
 */
type PipelinedSocket = net.Socket & { [BUSY]?: boolean; [WAITING]?: (() => void)[]; [LATEST]?: TimedResponse; [DOOMED]?: string; [THROTTLED]?: boolean; [PAUSED_MID_REQUEST]?: boolean };
const BUSY = Symbol('busy');
const WAITING = Symbol('waiting');
/**
 * A connection not read from while the requests waiting on it drain (see PIPELINE_PAUSE_AT). Found by a review:
 * answering one request at a time, node never saw a pipelining client's answers pile up, so it parsed all it
 * sent — 120 000 GETs on one socket, never read, held that many requests in memory outside admission control,
 * and a status read on another connection took 28 s (300 000: the event loop stalled 229 s, RSS 291 → 870 MB).
 */
const THROTTLED = Symbol('throttled');
/**
 * Set when a connection is throttled, cleared when a request is parsed on it while it is read again. node:http's
 * header and request deadlines count on while the node does not read: a request cut at the pause (half its
 * headers in, the rest unread in the socket) got a 408 after a drain longer than the header deadline, though
 * the client had sent it in full at once (found by a review). Such a timeout is the node's doing, not the
 * client's, and is not answered.
 */
const PAUSED_MID_REQUEST = Symbol('paused mid-request');
/**
 * Requests waiting on one connection at which it is no longer read (socket.pause()); it is read again once
 * they are down to PIPELINE_RESUME_AT. What a single read from the socket (64 KiB) holds is parsed in one go
 * whatever this says, so up to ~3 600 of the shortest requests may wait for a moment: the queue is bounded
 * by this plus one read, and DEFAULT_MAX_PIPELINED is above that.
 */
const PIPELINE_PAUSE_AT = 32;
const PIPELINE_RESUME_AT = 16;
/** Requests waiting on one connection past which the next is answered 503 and the connection closes. */
export const DEFAULT_MAX_PIPELINED = 4096;
/** The response of the last request parsed on a connection (a parse error after it concerns the one after). */
const LATEST = Symbol('latest');
/**
 * A connection whose parser failed while requests on it were still being answered: what to write once they
 * are (an error answer, or '' for nothing), before it is closed.
 */
const DOOMED = Symbol('doomed');
/** A queued request whose own body failed to parse (or arrive in time): answered with this in its turn. */
const FAILED = Symbol('failed');
/** Ends a 413 already written whose body is still being read and dropped (refuseBody). */
const END_REFUSAL = Symbol('end refusal');
/** Set on a request that sent `Expect: 100-continue` (node:http's 'checkContinue'); INVITED once it got its 100. */
const EXPECTS_CONTINUE = Symbol('expects continue');
const INVITED = Symbol('invited');
/** Set on a request whose `Expect` is not 100-continue (node:http's 'checkExpectation'): answered 417. */
const UNMET_EXPECTATION = Symbol('unmet expectation');
/** A response's keep-alive as node decided it, put back when the body is invited (see inviteBody). */
const KEEP_ALIVE = Symbol('keep-alive');
type ContinuingRequest = http.IncomingMessage & { [EXPECTS_CONTINUE]?: boolean; [INVITED]?: boolean; [UNMET_EXPECTATION]?: boolean };
interface ClientErrorAnswer { status: number; reason: string; code: string; message: string }

export const CONTEXT_HEADER = 'x-dynalab-context';
const JSON_TYPE = 'application/json; charset=utf-8';

export function createHttpApi(node: StorageNode, options: HttpApiOptions = {}): http.Server {
  const counters = { requests: 0, connectionsRefused: 0, byStatus: {} as Record<string, number> };
  // Pipelined requests waiting for their turn (all connections), the most that waited on one connection at
  // once since the node started, connections not read from meanwhile, and connections closed for the hard cap.
  const pipeline = { queued: 0, queuedPeak: 0, connectionsPaused: 0, overflows: 0 };
  const maxPipelined = options.maxPipelined ?? DEFAULT_MAX_PIPELINED;
  if (!(Number.isInteger(maxPipelined) && maxPipelined >= 1)) throw new RangeError(`maxPipelined must be an integer ≥ 1, got ${maxPipelined}`);
  const pauseAt = Math.min(PIPELINE_PAUSE_AT, maxPipelined);
  const resumeAt = Math.min(PIPELINE_RESUME_AT, pauseAt - 1);
  const replicaCount = options.n;
  if (replicaCount !== undefined && !(Number.isInteger(replicaCount) && replicaCount >= 1)) throw new RangeError(`n must be an integer ≥ 1, got ${replicaCount}`);
  const admission = new Admission(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, options.maxBodyBytesInFlight ?? DEFAULT_MAX_BODY_MIB_IN_FLIGHT * 2 ** 20);
  const tokenDigest = options.token === undefined ? undefined : tokenHash(options.token); // once, not per request
  // Server-side latency: from the request's headers being parsed to the last byte of the answer handed to the
  // kernel, in µs. What a client measures on top of this is its own queueing, the network and its event loop.
  const latencyMicros = createHistogram();
  // One listener function for every response, not a closure per request.
  function countStatus(this: TimedResponse): void {
    counters.byStatus[this.statusCode] = (counters.byStatus[this.statusCode] ?? 0) + 1;
    const arrived = this[ARRIVED];
    if (arrived !== undefined) latencyMicros.record(Math.max(1, Math.round((performance.now() - arrived) * 1000)));
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const server = http.createServer({
    keepAliveTimeout: 30_000,
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.max(1, Math.round(requestTimeoutMs / 3)),
    // How often node checks those two deadlines (its default, 30 s, would let a 30 s deadline run to 60 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.round(requestTimeoutMs / 10))),
    // Checked in route() instead, so the 400 is JSON like every other error answer and goes out in its turn
    // behind requests pipelined before it (node's own was a bare 400, written at once).
    requireHostHeader: false,
  }, handle);
  if (options.maxConnections !== undefined) {
    server.maxConnections = options.maxConnections;
    let refused = 0;
    let reportedAt = Number.NEGATIVE_INFINITY;
    server.on('drop', () => {
      refused++;
      counters.connectionsRefused++;
      const now = performance.now();
      if (now - reportedAt >= 10_000) {
        options.onConnectionsRefused?.(refused, options.maxConnections!);
        refused = 0;
        reportedAt = now;
      }
    });
  }
  /**
   * Stops reading a connection while PIPELINE_PAUSE_AT requests wait on it. node:http resumes a socket itself
   * whenever a request's body is read or dumped (IncomingMessage's readStart), so a throttled socket is paused
   * again each time it resumes (keepThrottled), as node does for its own pause.
   */
  function throttle(socket: PipelinedSocket): void {
    if (socket[THROTTLED] === true) return;
    socket[THROTTLED] = true;
    socket[PAUSED_MID_REQUEST] = true;
    pipeline.connectionsPaused++;
    if (!socket.listeners('resume').includes(keepThrottled)) socket.on('resume', keepThrottled);
    socket.pause();
  }
  /** Reads the connection again once few enough requests wait on it (never one that is to close). */
  function unthrottle(socket: PipelinedSocket, resume: boolean): void {
    if (socket[THROTTLED] !== true) return;
    socket[THROTTLED] = false;
    pipeline.connectionsPaused--;
    if (resume && !socket.destroyed && socket[DOOMED] === undefined) socket.resume();
  }
  /** The connection's client is gone: what it pipelined is never started (nothing could answer it). */
  function forgetWaiting(socket: PipelinedSocket): void {
    pipeline.queued -= socket[WAITING]?.length ?? 0;
    socket[WAITING] = undefined;
    unthrottle(socket, false);
  }
  // A closed connection's queue is forgotten here too, whatever else its close skipped (one listener function
  // for every connection, not a closure each).
  function forgetOnClose(this: PipelinedSocket): void {
    forgetWaiting(this);
  }
  server.on('connection', (socket: PipelinedSocket) => socket.once('close', forgetOnClose));
  /** The response is done (sent, or its connection closed): the connection's next request may run. */
  function released(this: TimedResponse): void {
    const socket = this[CONNECTION];
    if (socket === undefined) return;
    this[CONNECTION] = undefined; // 'finish' and 'close' both fire: release once
    const waiting = socket[WAITING];
    const next = waiting?.shift();
    if (next !== undefined) pipeline.queued--;
    if (waiting !== undefined && waiting.length <= resumeAt) unthrottle(socket, true);
    if (next === undefined || socket.destroyed) {
      // Nothing waits, or the client is gone: what it pipelined is never started (nothing could answer it).
      forgetWaiting(socket);
      socket[BUSY] = false;
      socket[LATEST] = undefined; // consulted only while busy: not kept for an idle keep-alive connection
      // The parser failed on what followed the requests just answered: its error answer goes out after theirs.
      const doomed = socket[DOOMED];
      if (doomed !== undefined && !socket.destroyed && socket.writable) socket.end(doomed);
      return;
    }
    // Started after this turn's other 'finish'/'close' listeners — admission frees the slot on 'close' — so it
    // is not admitted against its predecessor's slot (found by a review: a false 503 'overloaded'). The
    // connection stays busy meanwhile, so a request parsed in between queues behind it instead of overtaking.
    setImmediate(() => {
      if (socket.destroyed) {
        forgetWaiting(socket);
        socket[BUSY] = false;
        return;
      }
      next();
    });
  }
  function handle(req: http.IncomingMessage, res: TimedResponse): void {
    counters.requests++;
    res[ARRIVED] = performance.now();
    res.on('finish', countStatus);
    const socket = req.socket as PipelinedSocket;
    if (socket[THROTTLED] !== true) socket[PAUSED_MID_REQUEST] = false;
    // Parsed after a parse error or timeout on this connection (see 'clientError'): the connection closes once
    // the requests before that error are answered, and this one is not started.
    if (socket[DOOMED] !== undefined) return;
    socket[LATEST] = res;
    if (socket[BUSY] === true) {
      const waiting = (socket[WAITING] ??= []);
      if (waiting.length >= maxPipelined) {
        // Only a client whose one read held more than the pause lets in gets here: its answers so far go out,
        // then this 503, then the connection closes (released()); what follows is not started.
        pipeline.overflows++;
        const message = `more than ${maxPipelined} requests pipelined on one connection are waiting for their turn; read the answers before sending more (this connection closes)`;
        socket[DOOMED] = rawAnswer({ status: 503, reason: 'Service Unavailable', code: 'overloaded', message }, 'Retry-After: 1\r\n');
        return;
      }
      waiting.push(() => run(req, res, socket));
      pipeline.queued++;
      if (waiting.length > pipeline.queuedPeak) pipeline.queuedPeak = waiting.length;
      if (waiting.length >= pauseAt) throttle(socket);
      return;
    }
    run(req, res, socket);
  }
  function run(req: ContinuingRequest, res: TimedResponse, socket: PipelinedSocket): void {
    socket[BUSY] = true;
    res[CONNECTION] = socket;
    res.on('finish', released);
    res.on('close', released);
    const failed = res[FAILED];
    if (failed !== undefined) {
      // Its body failed to parse (or to arrive in time) while it waited for its turn: that is its answer.
      res.setHeader('Connection', 'close');
      return sendError(res, failed.status, failed.code, failed.message);
    }
    if (req[EXPECTS_CONTINUE] === true && !announcesBody(req)) {
      // Nothing to invite, but node:http closes the connection after any answer to an Expect it did not see a
      // 100 for: the 100 keeps a bodyless request's connection (and what is pipelined behind it) alive.
      req[INVITED] = true;
      res.writeContinue();
    } else if (req[EXPECTS_CONTINUE] === true && !req.complete) {
      // The body is invited only where it is read (inviteBody), after the checks that can refuse it: its size
      // included — a 2 MiB PUT got "100 Continue", then 408 after 30 s instead of 413 (a review). Until then an
      // answer closes the connection, since the client may still send the body no one read. A request that
      // announces no body (a GET with Expect) keeps its connection: there is nothing to invite.
      res[KEEP_ALIVE] = res.shouldKeepAlive;
      res.shouldKeepAlive = false;
    }
    try {
      route(req, res);
    } catch (error) {
      internalError(res, error); // a bug here must cost one request, not the node
    }
  }
  admission.watch(server);
  // With a listener here node:http no longer answers `Expect: 100-continue` itself: the body is invited only
  // where it is read (inviteBody), once the request is admitted and its size and parameters pass, so a refused
  // PUT's client never sends it. That happens in the request's turn on its connection (run()), not when it
  // arrives: one queued behind a busy request and refused its 100 early would wait for a body never sent.
  server.on('checkContinue', (req: ContinuingRequest, res: http.ServerResponse) => {
    req[EXPECTS_CONTINUE] = true;
    server.emit('request', req, res);
  });
  // Any other Expect: a JSON 417 in the request's turn (route()), where node's own was a bare 417 written at
  // once, ahead of the answers to requests pipelined before it (found by a review).
  server.on('checkExpectation', (req: ContinuingRequest, res: http.ServerResponse) => {
    req[UNMET_EXPECTATION] = true;
    server.emit('request', req, res);
  });
  // A client that sends garbage gets a 400 and its connection closed — headers past node:http's limit (16 KiB)
  // a 431, as RFC 6585 names it — and the node is unaffected.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: PipelinedSocket) => {
    // The parser, once failed, fails again on whatever else arrives: the first error is the one answered.
    if (socket[DOOMED] !== undefined) return;
    // A deadline that ran while this node was not reading the connection (see PAUSED_MID_REQUEST): the rest of
    // the request is in the socket, parsed once the queue drains. (Its header deadline is not restarted.)
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket[PAUSED_MID_REQUEST] === true && !socket.destroyed) return;
    const answer = clientErrorAnswer(error);
    const latest = socket[LATEST];
    if (socket[BUSY] === true && latest !== undefined) {
      // Requests before the error are still being answered (pipelined). Answering the error in their place
      // reported an applied PUT as a 400 or 431 (a review): they are answered first, each with its own answer.
      const req = latest.req as http.IncomingMessage | undefined;
      if (req !== undefined && !req.complete) {
        // The error is in the last request itself (a malformed chunk, a body stopped past the deadline): it is
        // that request's answer, then the connection closes.
        socket[DOOMED] = '';
        if (latest[CONNECTION] === undefined) latest[FAILED] = answer; // queued: answered in its turn (run)
        else if (!latest.headersSent) {
          latest.setHeader('Connection', 'close');
          sendError(latest, answer.status, answer.code, answer.message);
        } else latest[END_REFUSAL]?.(); // a 413 written while its body was being dropped: no more of it is read
        return;
      }
      // The error is in what follows them (garbage, oversized headers): its answer goes out after theirs,
      // and the connection closes (released()).
      socket[DOOMED] = rawAnswer(answer);
      return;
    }
    if (socket.writable) socket.end(rawAnswer(answer));
    else socket.destroy();
  });

  function clientErrorAnswer(error: NodeJS.ErrnoException): ClientErrorAnswer {
    // Every error answer is JSON, as the API's others are (these were bare 400s with no body).
    if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'Request Header Fields Too Large', code: 'headers-too-large', message: 'request headers are larger than 16 KiB' };
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const message = `the request did not arrive in full within ${requestTimeoutMs / 1000} s (headers within ${Math.round(requestTimeoutMs / 3000)} s)`;
      return { status: 408, reason: 'Request Timeout', code: 'request-timeout', message };
    }
    return { status: 400, reason: 'Bad Request', code: 'bad-request', message: `malformed HTTP request (${error.code ?? error.message})` };
  }

  function route(req: ContinuingRequest, res: TimedResponse): void {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) {
      // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host. The connection closes, as
      // node's own answer closed it: what follows a malformed request is not trusted to be framed right.
      res.setHeader('Connection', 'close');
      return sendError(res, 400, 'bad-request', 'an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)');
    }
    if (req[UNMET_EXPECTATION] === true) {
      // A body that may follow is not read: its connection closes after the answer. A bodyless request keeps it.
      if (announcesBody(req)) res.setHeader('Connection', 'close');
      return sendError(res, 417, 'expectation-failed', `Expect: ${req.headers.expect ?? ''} is not supported; the only expectation this server meets is Expect: 100-continue`);
    }
    if (tokenDigest !== undefined && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="dynalab"');
      return sendError(res, 401, 'unauthorized', 'missing or wrong bearer token (send "Authorization: Bearer <token>")');
    }
    const url = originForm(req.url ?? '/');
    const question = url.indexOf('?');
    const pathname = pathOf(url);
    const query = new URLSearchParams(question < 0 ? '' : url.slice(question + 1));
    if (pathname === '/v1/status') {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const unknown = unknownParameter(query, 'GET /v1/status', STATUS_PARAMETERS);
      if (unknown !== undefined) return sendError(res, 400, 'bad-request', unknown);
      // Only `reset=1`, once: `reset=true` or `reset=0` were 200s that reset nothing, silently (a review).
      const resets = query.getAll('reset');
      if (resets.length > 1) return sendError(res, 400, 'bad-request', `reset is given ${resets.length} times (${resets.map((v) => `reset=${v}`).join(', ')}); give reset=1 once`);
      const reset = resets.length === 1;
      if (reset && resets[0] !== '1') return sendError(res, 400, 'bad-request', `reset=${JSON.stringify(resets[0])} is not understood: reset=1 starts a new latency window after answering (leave reset out to keep the window)`);
      res[ARRIVED] = undefined; // status reads are not part of the latency they report
      sendJson(res, 200, {
        id: node.id,
        actor: node.actorId,
        mode: node.mode === 'dvv' ? 'vclock' : node.mode, // as the config names it (dvv is the core's name)
        suspected: node.suspectedPeers(),
        pendingHints: node.pendingHintCount(),
        counters: node.counters,
        requests: {
          ...counters,
          inFlight: admission.inFlight,
          bodyBytesInFlight: admission.bodyBytesInFlight,
          shed: admission.shed,
          // Pipelined requests wait here before admission (which counts only the one each connection runs).
          queued: pipeline.queued,
          queuedPeak: pipeline.queuedPeak,
          connectionsPaused: pipeline.connectionsPaused,
          pipelineOverflows: pipeline.overflows,
          latency: { count: latencyMicros.count, ...histogramMs(latencyMicros, (micros) => Math.round(micros) / 1000) },
        },
        ...options.status?.(),
      });
      if (reset) {
        latencyMicros.reset();
        options.resetStatusWindow?.();
      }
      return;
    }
    const bodyBytes = isKeyPath(pathname) ? bodyBytesOf(req) : 0;
    const refusal = isKeyPath(pathname) ? admission.admit(req, res, bodyBytes) : null;
    if (refusal !== null) {
      // Answered at once, body unread: `Connection: close` drops whatever of it is still coming.
      res[ARRIVED] = undefined; // a refusal is not part of the latency of the requests the node serves
      res.setHeader('Retry-After', '1');
      if (!req.complete) res.setHeader('Connection', 'close');
      const message = refusal === 'requests'
        ? `node is answering ${admission.inFlight} requests (limit ${admission.limit}); retry later`
        : `node has ${admission.bodyBytesInFlight} bytes of request bodies in progress; this one's ${bodyBytes} would pass the limit of ${byteLimit(admission.maxBodyBytes)} (maxInFlightBodyMiB); retry later`;
      return sendError(res, 503, 'overloaded', message, {}, req.method === 'HEAD');
    }
    if (pathname === '/v1/keys') {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const unknown = unknownParameter(query, 'GET /v1/keys', LIST_PARAMETERS);
      if (unknown !== undefined) return sendError(res, 400, 'bad-request', unknown);
      return listKeys(question < 0 ? '' : url.slice(question + 1), query, res);
    }
    if (pathname.startsWith('/v1/keys/')) {
      let key: Uint8Array;
      try {
        key = decodeKeyPath(pathname.slice('/v1/keys/'.length));
      } catch (error) {
        if (error instanceof KeyPathError) return sendError(res, 400, 'bad-request', error.message);
        throw error;
      }
      if (key.length === 0) return sendError(res, 400, 'bad-request', 'empty key: use /v1/keys/{key}');
      if (key.length > MAX_KEY_BYTES) return sendError(res, 413, 'key-too-large', `key is ${key.length} bytes; the limit is ${MAX_KEY_BYTES} bytes`);
      const method = req.method ?? '';
      const allowed = KEY_PARAMETERS.get(method);
      if (allowed === undefined) return methodNotAllowed(res, 'GET, HEAD, PUT, DELETE');
      // A misspelled parameter (W=3, R=3) was ignored, and the request ran at the default quorum (a review).
      const unknown = unknownParameter(query, `${method} /v1/keys/{key}`, allowed);
      if (unknown !== undefined) return refuseBeforeBody(req, res, unknown);
      switch (method) {
        case 'PUT':
          return putKey(key, query, req, res);
        case 'DELETE':
          return deleteKey(key, query, req, res);
        default:
          return getKey(key, query, res, method === 'HEAD');
      }
    }
    sendError(res, 404, 'not-found', `no such endpoint: ${req.method} ${pathname} (see /v1/keys/{key}, /v1/keys?prefix=, /v1/status)`);
  }

  /** For a quorum 503: the peers this node cannot reach, as a sentence for `error` and a list for the body. */
  function unreachableNote(): { note: string; unreachable: { unreachable?: { peer: string; reason: string }[] } } {
    const peers = options.unreachablePeers?.() ?? [];
    if (peers.length === 0) return { note: '', unreachable: {} };
    return { note: `; this node cannot reach ${peers.map((p) => `${p.peer} (${p.reason})`).join(', ')}`, unreachable: { unreachable: peers } };
  }

  function getKey(key: Uint8Array, query: URLSearchParams, res: http.ServerResponse, head: boolean): void {
    const r = intParam(query, 'r');
    if (r instanceof Error) return sendError(res, 400, 'bad-request', r.message);
    admission.work(res);
    try {
      node.get(key, r === undefined ? {} : { r }, (result: ReadResult) => {
        admission.finish(res);
        if (res.headersSent) return; // already answered 500 by workFailed (the node threw, then called back anyway)
        if (result.status !== 'ok') {
          const status = result.code === 'bad-request' || result.code === 'key-too-large' ? (result.code === 'bad-request' ? 400 : 413) : 503;
          if (status !== 503) return sendError(res, status, result.code, result.error, { replies: result.replies });
          const { note, unreachable } = unreachableNote();
          return sendError(res, 503, result.code, `read quorum not met: ${replicas(result.replies, r)} answered (${result.error})${note}`, { replies: result.replies, ...unreachable });
        }
        const context = Buffer.from(result.context.buffer, result.context.byteOffset, result.context.length).toString('base64');
        if (result.values.length === 1) {
          // The hot path: every header in one writeHead list, no per-header setHeader calls.
          const value = result.values[0]!;
          res.writeHead(200, [
            CONTEXT_HEADER, context,
            'ETag', `"${result.etag}"`,
            'X-Dynalab-Replies', String(result.replies),
            'Content-Type', 'application/octet-stream',
            'Content-Length', String(value.length),
          ]);
          res.end(head ? undefined : value);
          return;
        }
        res.setHeader(CONTEXT_HEADER, context);
        res.setHeader('ETag', `"${result.etag}"`);
        res.setHeader('X-Dynalab-Replies', String(result.replies));
        if (result.values.length === 0) return sendError(res, 404, 'not-found', 'no value for this key (absent, deleted or expired)', {}, head);
        // Concurrent versions: all of them, base64 in JSON (values are binary); write back with the context
        // from the header to resolve them.
        sendJson(res, 300, { siblings: result.values.map((v) => Buffer.from(v).toString('base64')) }, head);
      });
    } catch (error) {
      workFailed(res, error);
    }
  }

  function putKey(key: Uint8Array, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const options = writeOptions(query, req, true, replicaCount);
    if (options instanceof Error) return refuseBeforeBody(req, res, options.message);
    const condition = conditionOf(req, true);
    if (condition instanceof Error) return refuseBeforeBody(req, res, condition.message);
    // Before the body is invited or read: a declared size over the limit is refused at once (it was read to its
    // end first, or invited with a 100 and then timed out on a slow link — a review).
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_VALUE_BYTES) return refuseBody(req, res, declared, 0);
    inviteBody(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_VALUE_BYTES) {
        refused = true;
        chunks.length = 0;
        refuseBody(req, res, size, size);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (refused) return;
      if (res.headersSent) return;
      admission.resize(res, size); // a chunked body was counted as the largest value until now
      // A view, not a copy: `new Uint8Array(buffer)` would copy the bytes a second time after the concat (and a
      // body that arrived in one chunk needs no concat). The core copies the value into its own encoding.
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const value = new Uint8Array(body.buffer, body.byteOffset, body.length);
      const done = (result: WriteResult) => {
        admission.finish(res);
        sendWrite(res, result, options.w);
      };
      // An event callback, outside route()'s try: a throw here would kill the process, so it answers 500.
      admission.work(res);
      try {
        if (condition === ABSENT) node.cas(key, value, node.absentEtag(), options, done);
        else if (condition !== null) node.cas(key, value, condition, options, done); // an etag or '*'
        else node.put(key, value, options, done);
      } catch (error) {
        workFailed(res, error);
      }
    });
  }

  function deleteKey(key: Uint8Array, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const options = writeOptions(query, req, false, replicaCount);
    if (options instanceof Error) return refuseBeforeBody(req, res, options.message);
    const condition = conditionOf(req, false);
    if (condition instanceof Error) return refuseBeforeBody(req, res, condition.message);
    drainThen(req, res, () => {
      const done = (result: WriteResult) => {
        admission.finish(res);
        sendWrite(res, result, options.w);
      };
      // If-Match: only if the current version has that etag ('*': any live value). A context: remove what it
      // saw, as the client asked. Neither: a plain delete carrying no context would be concurrent with every
      // version and remove none of them (a 204 that leaves the value readable), so the node reads the key at a
      // majority and removes what it read.
      admission.work(res);
      try {
        if (condition !== null) node.deleteIf(key, condition, options, done);
        else if (options.context !== undefined) node.delete(key, options, done);
        else node.deleteIf(key, null, options, done);
      } catch (error) {
        workFailed(res, error);
      }
    });
  }

  function listKeys(rawQuery: string, query: URLSearchParams, res: http.ServerResponse): void {
    const limit = intParam(query, 'limit');
    if (limit instanceof Error) return sendError(res, 400, 'bad-request', limit.message);
    if (limit !== undefined && (limit < 1 || limit > 100_000)) return sendError(res, 400, 'bad-request', `limit=${limit} must be between 1 and 100000`);
    // The prefix is decoded from the raw query to bytes like a key path, not by URLSearchParams, which decodes
    // to UTF-8 text (%FF becomes U+FFFD, matching no stored byte FF) and lets a malformed escape through.
    const prefixes = rawQueryParams(rawQuery, 'prefix');
    if (prefixes.length > 1) return sendError(res, 400, 'bad-request', `prefix is given ${prefixes.length} times (${prefixes.map((p) => `prefix=${p}`).join(', ')}); give it once`);
    let prefixBytes: Uint8Array;
    try {
      prefixBytes = decodeKeyPath(prefixes[0] ?? '', 'prefix');
    } catch (error) {
      if (error instanceof KeyPathError) return sendError(res, 400, 'bad-request', error.message);
      throw error;
    }
    if (prefixBytes.length > MAX_KEY_BYTES) return sendError(res, 413, 'key-too-large', `prefix is ${prefixBytes.length} bytes; keys are at most ${MAX_KEY_BYTES}`);
    admission.work(res);
    try {
      node.scanKeys(prefixBytes, limit === undefined ? {} : { limit }, (result) => {
        admission.finish(res);
        if (res.headersSent) return; // already answered 500 by workFailed
        sendJson(res, 200, {
          keys: result.keys.map((k) => encodeKeyPath(k)),
          complete: result.missing.length === 0 && !result.truncated,
          truncated: result.truncated,
          asked: result.asked,
          answered: result.answered,
          missing: result.missing,
          note: 'scatter-gather: every member lists its local keys; the union is eventually consistent',
        });
      });
    } catch (error) {
      workFailed(res, error);
    }
  }

  /**
   * A node call threw instead of calling back (a bug, in the core or here): the request's admission slot is
   * released and it is answered 500 — never the process killed, which a throw from a body callback ('end',
   * outside route()'s try) would otherwise do.
   */
  function workFailed(res: http.ServerResponse, error: unknown): void {
    admission.finish(res);
    internalError(res, error);
  }

  function sendWrite(res: http.ServerResponse, result: WriteResult, w: number | undefined): void {
    if (res.headersSent) return; // already answered 500 by workFailed (the node threw, then called back anyway)
    const context = result.context.length > 0 ? Buffer.from(result.context.buffer, result.context.byteOffset, result.context.length).toString('base64') : '';
    if (result.status === 'ok') {
      // No context when versions concurrent with this one remain (see WriteResult.context): the header says how
      // many, and the client reads them before it writes again.
      const headers = context === '' ? ['X-Dynalab-Acks', String(result.acks)] : [CONTEXT_HEADER, context, 'X-Dynalab-Acks', String(result.acks)];
      if (result.siblings !== undefined) headers.push('X-Dynalab-Siblings', String(result.siblings));
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (context !== '') res.setHeader(CONTEXT_HEADER, context);
    res.setHeader('X-Dynalab-Acks', String(result.acks));
    switch (result.code) {
      case 'key-too-large':
      case 'value-too-large':
      case 'too-many-siblings':
        return sendError(res, 413, result.code, result.error);
      case 'bad-request':
        return sendError(res, 400, result.code, result.error);
      case 'conflict':
        return sendError(res, 412, result.code, result.error.replace(/^conflict: /, '')); // the code says 'conflict' already
      case 'unavailable': {
        // Refused before anything was written (the coordinator was busy with the key, its storage failed, no
        // owner is reachable with sloppy quorum off): not a quorum shortfall, and certainly not applied.
        const { note, unreachable } = unreachableNote();
        return sendError(res, 503, result.code, `not applied: ${result.error}${note}`, { acks: 0, outcome: 'not-applied', ...unreachable });
      }
      default: {
        const outcome = result.status === 'info' ? 'the outcome is unknown (it may still be applied)' : 'the write was not acknowledged by enough replicas';
        const { note, unreachable } = unreachableNote();
        // `outcome` says in a field what the prose says: a client must not retry a possibly applied write as new.
        sendError(res, 503, result.code, `write quorum not met: ${replicas(result.acks, w)} acknowledged; ${outcome} (${result.error})${note}`, { acks: result.acks, outcome: result.status === 'info' ? 'unknown' : 'not-applied', ...unreachable });
      }
    }
  }

  return server;
}

/**
 * The body bytes a request holds of admission's bound: its Content-Length, or for a body of unknown length
 * (chunked) the largest value, until it ends (admission.resize). Past MAX_VALUE_BYTES it is refused with a 413
 * and read only to be dropped, so no more than that is counted.
 */
function bodyBytesOf(req: http.IncomingMessage): number {
  if (req.headers['transfer-encoding'] !== undefined) return MAX_VALUE_BYTES;
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > 0 ? Math.min(declared, MAX_VALUE_BYTES) : 0;
}

/** A byte limit as a person reads it: whole MiB as MiB, anything else in bytes. */
function byteLimit(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

/** Whether the request says a body follows: a non-zero Content-Length, or a transfer coding (chunked). */
function announcesBody(req: http.IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Answers 500 for a bug (logged with its stack); it costs this request, never the process. */
function internalError(res: http.ServerResponse, error: unknown): void {
  console.error(`dynalab http: internal error answering a request (answered 500): ${(error as Error)?.stack ?? String(error)}`);
  if (!res.headersSent) sendError(res, 500, 'internal', `internal error: ${(error as Error)?.message ?? String(error)}`);
  else res.destroy();
}

/** The longest ttl, in seconds: 50 years (the core's bound, MAX_TTL_MICROS: expiry times must stay below 2^52 µs). */
const MAX_TTL_SECONDS = MAX_TTL_MICROS / 1_000_000;

/** PUT's `If-None-Match: *`: create only if absent. */
const ABSENT = Symbol('absent');

/**
 * A request's precondition: null (none), an etag or '*' (If-Match), or ABSENT (If-None-Match: *, PUT only).
 * An etag is never empty — the core reads an empty expected etag as "whatever is there".
 */
function conditionOf(req: http.IncomingMessage, isPut: true): string | typeof ABSENT | null | Error;
function conditionOf(req: http.IncomingMessage, isPut: false): string | null | Error;
function conditionOf(req: http.IncomingMessage, isPut: boolean): string | typeof ABSENT | null | Error {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) return new Error('If-Match and If-None-Match on one request: send one of them');
  if (ifNoneMatch !== undefined) {
    if (!isPut) return new Error('If-None-Match is not supported on DELETE (use If-Match)');
    if (ifNoneMatch.trim() !== '*') return new Error(`If-None-Match: ${ifNoneMatch} is not supported: only If-None-Match: * (create only if absent)`);
    return ABSENT;
  }
  if (ifMatch === undefined) return null;
  if (ifMatch.trim() === '*') return '*';
  const etag = unquote(ifMatch);
  if (etag === '' || etag === '*' || /[",\s]/.test(etag)) return new Error(`If-Match: ${ifMatch} must be * or one etag as returned by GET's ETag`);
  return etag;
}

/**
 * A write's parameters and context, or what is wrong with them. `n` is the node's replica count when the HTTP
 * API was told it: a w outside 1…n is then refused here, before the body is invited (the core refuses it too,
 * but only once it has the body).
 */
function writeOptions(query: URLSearchParams, req: http.IncomingMessage, allowTtl: boolean, n: number | undefined): (WriteOptions & { w?: number }) | Error {
  const options: WriteOptions = {};
  const w = intParam(query, 'w');
  if (w instanceof Error) return w;
  if (w !== undefined && (w < 1 || (n !== undefined && w > n))) return new Error(`w=${w} must be between 1 and ${n === undefined ? 'n (the number of replicas)' : `n=${n}`}`);
  if (w !== undefined) options.w = w;
  const ttls = query.getAll('ttl');
  if (ttls.length > 1) return new Error(`ttl is given ${ttls.length} times; give it once`);
  const ttl = ttls[0] ?? null;
  if (ttl !== null) {
    if (!allowTtl) return new Error('ttl applies to PUT only');
    // Decimal digits only: Number() also took hex (0x10), exponents (1e3) and spaces around the digits (a review).
    if (!/^\d+(\.\d+)?$/.test(ttl)) return new Error(`ttl=${JSON.stringify(ttl)} must be a positive number of seconds, digits only (fractions allowed: ttl=0.5)`);
    const seconds = Number(ttl);
    if (!Number.isFinite(seconds) || seconds <= 0) return new Error(`ttl=${ttl} must be a positive number of seconds (fractions allowed)`);
    if (seconds > MAX_TTL_SECONDS) return new Error(`ttl=${ttl} is too long: the limit is ${MAX_TTL_SECONDS} s (50 years)`);
    const micros = Math.round(seconds * 1e6);
    if (micros < 1) return new Error(`ttl=${ttl} rounds to 0 µs: ttl must be at least 0.000001 s`);
    options.ttlMicros = micros;
  }
  const context = req.headers[CONTEXT_HEADER];
  if (typeof context === 'string' && context.length > 0) {
    // Only as GET returns it: canonical base64 of a non-empty context. Found by a review: `A` and `=` decode to
    // no bytes, which the node takes as no context at all — a DELETE with one answered 204 and deleted nothing
    // (the blind delete the node otherwise prevents by reading first), a PUT became a blind write.
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(context) ? Buffer.from(context, 'base64') : undefined;
    if (decoded === undefined || decoded.length === 0 || decoded.toString('base64') !== context) {
      const without = allowTtl ? 'or leave the header out for a blind write' : 'or leave the header out to delete what the node reads';
      return new Error(`X-Dynalab-Context: ${JSON.stringify(context.length > 64 ? `${context.slice(0, 64)}…` : context)} is not a context: send it back as GET returned it (base64 of a non-empty context), ${without}`);
    }
    options.context = new Uint8Array(decoded); // a copy: not a view into Buffer's shared pool
  }
  return options;
}

function intParam(query: URLSearchParams, name: string): number | undefined | Error {
  const all = query.getAll(name);
  if (all.length > 1) return new Error(`${name} is given ${all.length} times (${all.map((v) => `${name}=${v}`).join(', ')}); give it once`);
  const raw = all[0] ?? null;
  if (raw === null) return undefined;
  // Digits only (no sign, exponent or hex: "+1" arrives as " 1" and is refused); the range is checked where
  // it is known (r and w against n, limit against 1…100000). Three digits at most used to refuse limit=1000,
  // the documented default (a review).
  if (!/^\d+$/.test(raw)) return new Error(`${name}=${JSON.stringify(raw)} must be a whole number, digits only`);
  // More than 9 significant digits: digits all right, but past any range here (it said "digits only", a review).
  if (raw.replace(/^0+/, '').length > 9) return new Error(`${name}=${raw} is too large: ${name === 'limit' ? 'limit must be between 1 and 100000' : `${name} must be between 1 and n`}`);
  return Number(raw);
}

/**
 * The raw (still percent-encoded) values of every `name=` parameter of a query string. A name is compared as
 * URLSearchParams decodes it, so the allow-list (unknownParameter) and this see the same parameters.
 */
function rawQueryParams(query: string, name: string): string[] {
  const values: string[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const decoded = /[%+]/.test(rawName) ? (new URLSearchParams(`${rawName}=`).keys().next().value ?? rawName) : rawName;
    if (decoded === name) values.push(eq < 0 ? '' : part.slice(eq + 1));
  }
  return values;
}

/** The query parameters each route takes (names are case-sensitive); any other is a 400. */
const KEY_PARAMETERS = new Map<string, readonly string[]>([['GET', ['r']], ['HEAD', ['r']], ['PUT', ['w', 'ttl']], ['DELETE', ['w']]]);
const LIST_PARAMETERS = ['prefix', 'limit'] as const;
const STATUS_PARAMETERS = ['reset'] as const;

/** The error for the first query parameter `route` does not take, or undefined when it takes them all. */
function unknownParameter(query: URLSearchParams, route: string, allowed: readonly string[]): string | undefined {
  for (const name of query.keys()) {
    if (!allowed.includes(name)) return `unknown query parameter ${JSON.stringify(name)}: ${route} takes ${allowed.join(', ')}`;
  }
  return undefined;
}

/**
 * A request target in absolute form (`http://host:port/v1/keys/k`), which RFC 9112 §3.2.2 says a server must
 * accept, as its origin form (`/v1/keys/k`); any other target as it is. It was a 404 'no such endpoint'.
 */
function originForm(target: string): string {
  const authority = /^https?:\/\/[^/?#]*/i.exec(target);
  if (authority === null) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function unquote(etag: string): string {
  const trimmed = etag.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

/**
 * `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1). Both tokens are hashed
 * first so the comparison is constant-time whatever their lengths, and leaks not even the token's length.
 */
/** A bearer token as compared (SHA-256, so unequal lengths compare in constant time too). */
function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const match = /^\s*bearer +(.*)$/is.exec(header);
  if (match === null) return false;
  return timingSafeEqual(tokenHash(match[1]!.trim()), expected);
}

/**
 * Refuses an oversized body (`size` bytes declared or seen, `read` of them read so far): the whole 413 goes
 * out at once, with `Connection: close`. It used to wait for the end of the body (read and discarded up to
 * 16 MiB), so a slow client waited for its whole upload — past the request deadline, a 408 instead of the 413
 * (a review) — and one that sent `Expect: 100-continue` was first invited to send a body that could only be
 * refused.
 *
 * A body that was not invited is not read: the connection closes after the answer. One that is coming anyway
 * (no `Expect`, or a chunked body invited before its size showed) is still read and dropped up to its end or
 * DISCARD_LIMIT before the connection closes: closed with unread data, the socket resets, and a client still
 * sending may lose the answer it has not read yet — fetch() got EPIPE instead of the 413 for 19 of 30 10 MiB
 * PUTs when the connection closed right after the answer.
 */
function refuseBody(req: ContinuingRequest, res: TimedResponse, size: number, read: number): void {
  const message = `value is more than ${MAX_VALUE_BYTES} bytes (${size} seen); the limit is ${MAX_VALUE_BYTES} bytes (1 MiB)`;
  res.setHeader('Connection', 'close');
  if ((req[EXPECTS_CONTINUE] === true && req[INVITED] !== true) || req.complete || read > DISCARD_LIMIT) {
    return sendError(res, 413, 'value-too-large', message);
  }
  // The answer in full now; its end (after which node closes the connection) once the body is read.
  const text = Buffer.from(`${JSON.stringify({ error: message, code: 'value-too-large' })}\n`);
  res.writeHead(413, { 'Content-Type': JSON_TYPE, 'Content-Length': text.length });
  res.write(text);
  let discarded = read;
  const finish = (): void => {
    res[END_REFUSAL] = undefined;
    if (!res.writableEnded) res.end();
  };
  res[END_REFUSAL] = finish; // the request deadline ends it too ('clientError')
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT) finish();
  });
  req.on('end', finish);
  req.resume();
}

/** Past this much of a refused body the connection closes without reading the rest. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * The request's body is about to be read: a client waiting on `Expect: 100-continue` gets its 100 now, and the
 * connection may stay open after the answer again (run() closes it after an answer given before the body).
 */
function inviteBody(req: ContinuingRequest, res: TimedResponse): void {
  if (req[EXPECTS_CONTINUE] !== true || req[INVITED] === true) return;
  req[INVITED] = true;
  const keepAlive = res[KEEP_ALIVE];
  if (keepAlive !== undefined) res.shouldKeepAlive = keepAlive;
  if (!req.complete && !res.headersSent) res.writeContinue();
}

/**
 * A raw error answer for a connection whose parser failed, or that is to close (no response object to answer
 * with); `extraHeaders` are whole header lines, each ending in CRLF.
 */
function rawAnswer(answer: ClientErrorAnswer, extraHeaders = ''): string {
  const body = `${JSON.stringify({ error: answer.message, code: answer.code })}\n`;
  return `HTTP/1.1 ${answer.status} ${answer.reason}\r\nConnection: close\r\n${extraHeaders}Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A throttled connection resumed (by node:http reading a body, or by its own drain): paused again. */
function keepThrottled(this: net.Socket & { [THROTTLED]?: boolean }): void {
  if (this[THROTTLED] === true) this.pause();
}

/** The requests admission control counts: key reads, writes and prefix listings (not status). */
function isKeyPath(pathname: string): boolean {
  return pathname === '/v1/keys' || pathname.startsWith('/v1/keys/');
}

/** The path of a request URL, without its query. */
function pathOf(url: string): string {
  const question = url.indexOf('?');
  return question < 0 ? url : url.slice(0, question);
}

/**
 * Answers a 400 for a request refused before its body is needed. Found by a review: with `Expect:
 * 100-continue` the body was invited only to be read and dropped — `curl -H 'Expect: 100-continue' -X PUT
 * --data-binary @1MiB '…?zz=1'` got 100 Continue, uploaded the whole MiB, then the 400. A body not invited is
 * not read: the answer goes out at once and the connection closes (the client may still send the body).
 * Any other body is read and dropped first (drainThen), so the client reads the answer instead of a reset.
 */
function refuseBeforeBody(req: ContinuingRequest, res: http.ServerResponse, message: string): void {
  if (req[EXPECTS_CONTINUE] === true && req[INVITED] !== true && !req.complete) {
    res.setHeader('Connection', 'close');
    return sendError(res, 400, 'bad-request', message);
  }
  drainThen(req, res, () => sendError(res, 400, 'bad-request', message));
}

/**
 * Runs `then` once the request's body is read (and discarded). From the 'end' callback it runs outside
 * route()'s try, so it gets its own: a throw answers 500 instead of killing the process.
 */
function drainThen(req: http.IncomingMessage, res: http.ServerResponse, then: () => void): void {
  if (req.complete) return then();
  inviteBody(req, res);
  req.resume();
  req.on('end', () => {
    if (res.headersSent) return; // answered meanwhile (a 408 for a body that stopped: see 'clientError')
    try {
      then();
    } catch (error) {
      internalError(res, error);
    }
  });
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(res, 405, 'method-not-allowed', `method not allowed here; use ${allow}`);
}

/** "1 of 2 replicas", or "1 replica" when the request did not name its quorum (the core's error gives it). */
function replicas(count: number, of: number | undefined): string {
  return of === undefined ? `${count} replica${count === 1 ? '' : 's'}` : `${count} of ${of} replicas`;
}

function sendError(res: http.ServerResponse, status: number, code: string, error: string, extra: Record<string, unknown> = {}, head = false): void {
  sendJson(res, status, { error, code, ...extra }, head);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, head = false): void {
  const text = Buffer.from(JSON.stringify(body) + '\n');
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': text.length });
  res.end(head ? undefined : text);
}
