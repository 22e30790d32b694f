import * as http from 'node:http';
import * as https from 'node:https';
import { encodeKeyPath, encodeKeyQuery } from './key-path';

/**
 * A small client for the HTTP API (node:http, keep-alive). Used by `dynalab kv` and the tests.
 *
 * Expected outcomes come back as values — a found value, siblings, an absent key — and everything else
 * (412 conflict, 413, 503 quorum, 401, …) throws a DynalabHttpError carrying the status, the server's
 * machine-readable `code` and its message. The causal context is handled as the opaque base64 string the
 * server sends; pass it back on the next write to supersede what you read.
 */
export interface GetResult {
  found: boolean;
  /** One value normally; several when concurrent writes left siblings (HTTP 300); none when absent. */
  values: Uint8Array[];
  siblings: boolean;
  /** Base64 causal context (X-Dynalab-Context). */
  context: string;
  /** The version's fingerprint, for `ifMatch`. */
  etag: string;
  replies: number;
}

export interface WriteReply {
  /** The written version's context; '' when concurrent versions remain beside it (then `siblings` says how many). */
  context: string;
  acks: number;
  /** Versions the write left beside each other, when more than one: read them before writing again. */
  siblings?: number;
}

export interface PutOptions {
  context?: string;
  w?: number;
  /** Time to live in seconds (fractions allowed). */
  ttlSeconds?: number;
  /** Compare-and-set: only if the key's current etag is this one (HTTP If-Match); `*`: only if it has a value. */
  ifMatch?: string;
  /** Only if the key has no value (HTTP If-None-Match: *). */
  ifAbsent?: boolean;
}

export interface DeleteOptions {
  /** The context from a get: delete what it saw. Without it the node reads the key first and deletes what it finds. */
  context?: string;
  w?: number;
  /** Only if the key's current etag is this one (HTTP If-Match; 412 otherwise); `*`: only if it has a value. */
  ifMatch?: string;
}

export interface ListResult {
  /** Keys, percent-encoded as in URLs (readable keys read as themselves). */
  keys: string[];
  complete: boolean;
  truncated: boolean;
  asked: number;
  answered: number;
  missing: string[];
}

/**
 * The node gave no HTTP answer. `sent` says whether the request may have reached it: false for a refused or
 * unresolvable address (nothing was delivered), true for a timeout or a connection lost before the answer —
 * then a write may or may not have been applied.
 */
export class DynalabConnectionError extends Error {
  constructor(
    readonly sent: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'DynalabConnectionError';
  }
}

export class DynalabHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /**
     * The error body's other fields: for a 503 write `acks` and `outcome` ('not-applied': certainly not
     * written; 'unknown': it may still be applied — do not retry it as a new write), and `unreachable` peers.
     */
    readonly details: Record<string, unknown> = {},
  ) {
    super(`HTTP ${status} ${code}: ${message}`);
    this.name = 'DynalabHttpError';
  }
}

export class DynalabClient {
  readonly endpoint: string;
  /** Where requests go: node:http's parts of the endpoint, and a path prefix if the endpoint has one. */
  private readonly target: { transport: typeof http | typeof https; hostname: string; port: number; basePath: string };
  /**
   * Connections kept open between requests, as fetch kept them. An idle one does not keep the process alive
   * (node:http unrefs it) and is closed after 4 s idle (fetch's default too), or a second before the node's
   * announced Keep-Alive timeout if that is sooner, so a request is not sent on a connection the node is
   * closing. (The agent's `timeout` applies to idle connections only: a slow answer is bounded by timeoutMs.)
   */
  private readonly agent: http.Agent;

  constructor(
    endpoint: string,
    private readonly options: { token?: string; timeoutMs?: number } = {},
  ) {
    this.endpoint = (/^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(this.endpoint);
    } catch {
      throw new Error(`endpoint ${JSON.stringify(endpoint)} is not host:port or an http(s):// URL`);
    }
    const secure = url.protocol === 'https:';
    this.target = {
      transport: secure ? https : http,
      // URL keeps an IPv6 address in brackets; a socket address has none.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      basePath: url.pathname.replace(/\/+$/, ''),
    };
    this.agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  }

  async get(key: Uint8Array | string, options: { r?: number } = {}): Promise<GetResult> {
    const response = await this.request('GET', keyUrl(key, { r: options.r }));
    const context = header(response, 'x-dynalab-context') ?? '';
    const etag = unquote(header(response, 'etag') ?? '');
    const replies = Number(header(response, 'x-dynalab-replies') ?? 0);
    if (response.status === 404 && context !== '') return { found: false, values: [], siblings: false, context, etag, replies };
    if (response.status === 200) {
      return { found: true, values: [response.body], siblings: false, context, etag, replies };
    }
    if (response.status === 300) {
      const body = jsonOf(response) as { siblings: string[] };
      return { found: true, values: body.siblings.map((b) => new Uint8Array(Buffer.from(b, 'base64'))), siblings: true, context, etag, replies };
    }
    throw errorOf(response);
  }

  async put(key: Uint8Array | string, value: Uint8Array | string, options: PutOptions = {}): Promise<WriteReply> {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (options.context) headers['X-Dynalab-Context'] = options.context;
    if (options.ifMatch !== undefined) headers['If-Match'] = ifMatchHeader(options.ifMatch);
    if (options.ifAbsent) headers['If-None-Match'] = '*';
    const body = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    if (options.ttlSeconds !== undefined) checkTtl(options.ttlSeconds);
    return this.write('PUT', keyUrl(key, { w: options.w, ttl: options.ttlSeconds }), headers, body);
  }

  async delete(key: Uint8Array | string, options: DeleteOptions = {}): Promise<WriteReply> {
    const headers: Record<string, string> = {};
    if (options.context) headers['X-Dynalab-Context'] = options.context;
    if (options.ifMatch !== undefined) headers['If-Match'] = ifMatchHeader(options.ifMatch);
    return this.write('DELETE', keyUrl(key, { w: options.w }), headers);
  }

  /** Keys under `prefix` (bytes, or a string taken as UTF-8), which the server decodes to bytes like a key path. */
  async list(prefix: Uint8Array | string, options: { limit?: number } = {}): Promise<ListResult> {
    const limit = options.limit !== undefined ? `&limit=${options.limit}` : '';
    const response = await this.request('GET', `/v1/keys?prefix=${encodeKeyQuery(prefix)}${limit}`);
    if (response.status !== 200) throw errorOf(response);
    return jsonOf(response) as ListResult;
  }

  /** The node's status; `reset`: start a new latency window after reading this one (GET /v1/status?reset=1). */
  async status(options: { reset?: boolean } = {}): Promise<Record<string, unknown>> {
    const response = await this.request('GET', options.reset === true ? '/v1/status?reset=1' : '/v1/status');
    if (response.status !== 200) throw errorOf(response);
    return jsonOf(response) as Record<string, unknown>;
  }

  private async write(method: string, url: string, headers: Record<string, string>, body?: Uint8Array): Promise<WriteReply> {
    const response = await this.request(method, url, headers, body);
    if (response.status !== 204) throw errorOf(response);
    const siblings = header(response, 'x-dynalab-siblings');
    return {
      context: header(response, 'x-dynalab-context') ?? '',
      acks: Number(header(response, 'x-dynalab-acks') ?? 0),
      ...(siblings !== null ? { siblings: Number(siblings) } : {}),
    };
  }

  /**
   * One request, its answer read in full. The body is read here, under the same deadline and error handling as
   * the request: read later by each caller, a timeout or a reset while the body arrived escaped as a bare
   * TimeoutError/TypeError instead of a DynalabConnectionError (found by a review of the HTTP API).
   *
   * node:http, not fetch: fetch parses the URL as a browser does and drops dot segments — `/v1/keys/..` went
   * out as `/v1/` and `/v1/keys/.` (or `%2E`) as `/v1/keys/`, so the keys `.` and `..` could be neither read nor
   * written (a review). node:http sends `path` as given, and the key path is already percent-encoded.
   */
  private request(method: string, url: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> {
    if (this.options.token !== undefined) headers['Authorization'] = `Bearer ${this.options.token}`;
    // fetch set the length of a body (an empty one too); node:http would send a PUT body chunked instead.
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return this.attempt(method, url, headers, body, timeoutMs, Date.now() + timeoutMs, true);
  }

  /**
   * One try of `request`, by `deadline` (ms since the epoch). `mayRetry`: a read that failed on a reused
   * keep-alive connection before any answer came — the node had closed it (idle timeout, restart) as the
   * request went out — is sent once more on a fresh connection, as fetch did (found by a review of the switch
   * to node:http). Node's documentation suggests exactly this test (`req.reusedSocket` and ECONNRESET). A write
   * is not: the same reset also ends a request the node took and applied before it died, and sent again, a
   * write applied twice became its own sibling, a conditional one a 412 — and when the second try found the
   * node down, "cannot reach" was said of a write that had been applied (a fuzz of real mode with kill -9 saw
   * it read back). A write that meets a reset is "outcome unknown", as any write cut off before its answer.
   */
  private attempt(method: string, url: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs: number, deadline: number, mayRetry: boolean): Promise<Answer> {
    const { transport, hostname, port, basePath } = this.target;
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      let answered = false;
      // One deadline for the whole exchange, the answer's body included (AbortSignal.timeout did this for fetch).
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`timed out after ${timeoutMs} ms`));
      }, Math.max(0, deadline - Date.now()));
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const failed = (error: Error) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (mayRetry && (method === 'GET' || method === 'HEAD') && req.reusedSocket && !answered && !timedOut && (code === 'ECONNRESET' || code === 'EPIPE')) {
          return settle(() => resolve(this.attempt(method, url, headers, body, timeoutMs, deadline, false)));
        }
        settle(() => reject(this.connectionError(method, url, error, timedOut, timeoutMs)));
      };
      const req = transport.request({ hostname, port, method, path: basePath + url, headers, agent: this.agent }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) })));
        res.on('error', failed);
        // A connection closed before the body is in full ends the answer without 'end' (and not always 'error').
        res.on('close', () => {
          if (!res.complete) failed(new Error('the connection closed before the answer was complete'));
        });
      });
      req.on('error', failed);
      req.end(body);
    });
  }

  /** A request that got no HTTP answer, as a DynalabConnectionError saying whether it may have been delivered. */
  private connectionError(method: string, url: string, error: Error, timedOut: boolean, timeoutMs: number): DynalabConnectionError {
    // A timeout is not "cannot reach": the request may have arrived, and a write may have been applied (a
    // review: a stopped node's write said "cannot reach" and was readable after it resumed).
    if (timedOut) {
      return new DynalabConnectionError(true, `no answer from ${this.endpoint} within ${timeoutMs} ms (${method} ${url}): ${outcomeUnknown(method)}`);
    }
    // Refused or unresolvable: the request never left. Anything else (a reset, the node closing the connection)
    // may have come after the node took the request (the next review: "cannot reach" for a write it received).
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && NEVER_SENT.has(code)) return new DynalabConnectionError(false, `cannot reach ${this.endpoint} (${method} ${url}): ${error.message}`);
    return new DynalabConnectionError(true, `lost the connection to ${this.endpoint} before an answer (${method} ${url}: ${error.message}): ${outcomeUnknown(method)}`);
  }
}

/** What a request that may have reached the node without an answer leaves the caller knowing. */
function outcomeUnknown(method: string): string {
  return method === 'GET' || method === 'HEAD' ? 'the read was abandoned' : 'the write may or may not have been applied (read the key to see)';
}

/** How long a kept-alive connection may sit idle before the client closes it. */
const IDLE_CONNECTION_MS = 4_000;

/** Connection errors that mean the request was never delivered. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function keyUrl(key: Uint8Array | string, query: Record<string, number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, decimal(value));
  const qs = params.toString();
  return `/v1/keys/${encodeKeyPath(key)}${qs ? `?${qs}` : ''}`;
}

/**
 * A number as the server reads it: plain decimal digits. String(5e-7) is "5e-7" and String(1e21) "1e+21", which
 * the server refuses (it takes no exponents) with a message about digits the caller never gave; an integer
 * goes digit for digit (BigInt), and a fraction as its whole microseconds — the server keeps microseconds of a
 * ttl, so that loses nothing, and it rounds as checkTtl does (toFixed(6) made 5e-7 "0.000000", checkTtl 1 µs).
 */
function decimal(value: number): string {
  // NaN, Infinity, a negative number: sent as written, for the server to refuse by that name.
  if (!Number.isFinite(value) || value < 0) return String(value);
  if (Number.isInteger(value)) return BigInt(value).toString();
  const micros = BigInt(Math.round(value * 1e6));
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${micros / 1_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * A ttl the server could be sent as it was given. One under half a microsecond went as `ttl=0`, and the
 * answer — "ttl=0 must be a positive number" — named a value the caller never gave (a review); NaN and
 * Infinity went as the words.
 */
function checkTtl(seconds: number): void {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`ttlSeconds ${seconds} must be a positive number of seconds`);
  if (Math.round(seconds * 1e6) < 1) throw new RangeError(`ttlSeconds ${seconds} rounds to 0 µs: a ttl must be at least 0.000001 s (1 µs)`);
}

/**
 * `*` goes bare (any current value); an etag quoted, as RFC 9110 writes entity tags — whether it was given with
 * its quotes (as curl shows the ETag header) or without.
 */
function ifMatchHeader(etag: string): string {
  return etag === '*' ? '*' : `"${unquote(etag)}"`;
}

function unquote(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? etag.slice(1, -1) : etag;
}

const textDecoder = new TextDecoder();

/** An HTTP answer with its body read. */
interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
}

/** One response header (node:http names them in lower case), or null when the answer has none. */
function header(answer: Answer, name: string): string | null {
  const value = answer.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

function jsonOf(answer: Answer): unknown {
  return JSON.parse(textDecoder.decode(answer.body));
}

function errorOf(response: Answer): DynalabHttpError {
  const text = textDecoder.decode(response.body);
  try {
    const { error, code, ...details } = JSON.parse(text) as { error?: string; code?: string } & Record<string, unknown>;
    return new DynalabHttpError(response.status, code ?? 'error', error ?? text, details);
  } catch {
    return new DynalabHttpError(response.status, 'error', text.trim() || response.statusText);
  }
}
