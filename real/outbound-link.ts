import * as net from 'node:net';
import type { NodeId } from '../core/env';
import { encodeFrame, encodeFrameHeader, FrameDecoder, FrameError, FrameType, type Frame } from './frame-codec';
import {
  computeProof,
  decodeChallenge,
  encodeHello,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_VERSION,
  HandshakeError,
  newNonce,
  settingsMismatch,
  verifyProof,
} from './peer-handshake';
import { ReconnectBackoff, type BackoffOptions } from './reconnect-backoff';
import { SendQueue, type SendQueueLimits } from './send-queue';
import type { TransportCounters } from './transport-counters';
import { isPowerOfTwo, type TransportLogger } from './transport-logger';

/**
 * The sending half of the conversation with one peer: a queue, at most one TCP connection, and the
 * reconnect loop.
 *
 * Each node dials each peer it sends to and uses that connection only to send; the peer dials back for the
 * other direction. Two one-way connections per pair instead of one shared connection means no tie-break
 * when both sides dial at once, and each side's reconnect logic owns exactly one socket.
 *
 * States:
 *   idle ──send──▶ connecting ──WELCOME──▶ ready ──(socket lost, queue empty)──▶ idle
 *                      │                     │
 *                      └──failure──▶ waiting ◀──(socket lost, messages queued)
 *                                       │
 *                                   backoff timer ──▶ connecting
 *
 * Messages leave the queue only when they are written to an authenticated socket, so messages sent while a
 * peer is down wait (within the queue's bounds) and go out after the reconnect. Messages already written to
 * a socket that then breaks are lost — the transport is best-effort and the core retries on timeouts.
 */
export interface PeerAddress {
  host: string;
  port: number;
}

export type LinkState = 'idle' | 'connecting' | 'ready' | 'waiting' | 'closed';

export interface OutboundLinkOptions {
  self: NodeId;
  peer: NodeId;
  address: PeerAddress;
  secret: string;
  /** Cluster settings every member must share (see peer-handshake.ts); compared with the server's. */
  settings: string;
  queue: SendQueueLimits;
  backoff: BackoffOptions;
  /** Connect + handshake must finish within this long, or the attempt counts as failed. */
  handshakeTimeoutMs: number;
  /** Largest frame `length` (type byte + payload) this node will send. */
  maxFrameBytes: number;
  /** A peer that reads nothing of what is written to it for this long is hung up on. */
  drainTimeoutMs: number;
  counters: TransportCounters;
  logger: TransportLogger;
}

type Phase = 'challenge' | 'welcome' | 'ready';

interface Attempt {
  socket: net.Socket;
  decoder: FrameDecoder;
  clientNonce: Uint8Array;
  phase: Phase;
  timer: NodeJS.Timeout | null;
  /** Why we are hanging up, when it is we who hang up. */
  failure: string | null;
  /** The TCP connection was established (so a failure after this is a handshake failure). */
  connected: boolean;
  /** Set once the failure has been counted, so a close after an auth failure is not counted twice. */
  counted: boolean;
  /** Runs while the socket waits for 'drain': a peer that stops reading is hung up on (see pump). */
  drainTimer: NodeJS.Timeout | null;
}

export class OutboundLink {
  private state: LinkState = 'idle';
  private lastAttemptFailure: string | null = null;
  private readonly queue: SendQueue;
  private readonly backoff: ReconnectBackoff;
  private address: PeerAddress;
  private attempt: Attempt | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** True once any connection attempt has been made; later attempts count as reconnects. */
  private attempted = false;
  private pumpScheduled = false;
  private readonly closeWaiters: Array<() => void> = [];

  constructor(private readonly options: OutboundLinkOptions) {
    this.queue = new SendQueue(options.queue);
    this.backoff = new ReconnectBackoff(options.backoff);
    this.address = options.address;
  }

  get linkState(): LinkState {
    return this.state;
  }

  get queuedMessages(): number {
    return this.queue.length;
  }

  get queuedBytes(): number {
    return this.queue.byteLength;
  }

  /** Bytes written to the socket that the peer has not taken yet (the kernel's send buffer is full). */
  get unsentBytes(): number {
    return this.attempt?.socket.writableLength ?? 0;
  }

  get consecutiveFailures(): number {
    return this.backoff.consecutiveFailures;
  }

  /**
   * Why the last attempt to reach the peer failed (a refused connection, a handshake refusal such as differing
   * cluster settings), while the link is not up; null once a session is established. For operators and for
   * the 503 a client gets when this peer's silence cost a quorum.
   */
  get lastFailure(): string | null {
    return this.state === 'ready' ? null : this.lastAttemptFailure;
  }

  send(message: Uint8Array): void {
    const { counters } = this.options;
    if (this.state === 'closed') {
      counters.dropsClosed++;
      return;
    }
    if (message.length + 1 > this.options.maxFrameBytes) {
      counters.dropsOversize++;
      this.options.logger.warn(
        `dropped a ${message.length}-byte message for ${this.options.peer}: over the ${this.options.maxFrameBytes}-byte frame limit`,
      );
      return;
    }
    const result = this.queue.push(message);
    if (!result.accepted) {
      counters.dropsOversize++;
      return;
    }
    counters.dropsQueueFull += result.dropped;
    if (this.state === 'idle') this.connect();
    else if (this.state === 'ready') this.schedulePump();
  }

  /** Points the link at a new address: hang up whatever is in progress and retry there promptly. */
  setAddress(address: PeerAddress): void {
    if (address.host === this.address.host && address.port === this.address.port) return;
    this.address = address;
    this.backoff.reset();
    if (this.state === 'waiting') {
      this.clearRetryTimer();
      this.connect();
    } else if (this.attempt !== null) {
      this.attempt.failure = 'peer address changed';
      this.attempt.socket.destroy();
    }
  }

  /** Discards the queue, hangs up, and resolves once the socket is fully closed. */
  close(): Promise<void> {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.clearRetryTimer();
      this.options.counters.dropsClosed += this.queue.clear();
    }
    const attempt = this.attempt;
    if (attempt === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      attempt.socket.destroy();
    });
  }

  private connect(): void {
    const { counters } = this.options;
    counters.connectAttempts++;
    if (this.attempted) counters.reconnects++;
    this.attempted = true;
    this.state = 'connecting';

    const socket = net.connect({ host: this.address.host, port: this.address.port, noDelay: true });
    const attempt: Attempt = {
      socket,
      decoder: new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES),
      clientNonce: newNonce(),
      phase: 'challenge',
      timer: null,
      drainTimer: null,
      failure: null,
      connected: false,
      counted: false,
    };
    this.attempt = attempt;
    // Quiet: an unreachable address times out on every attempt, and onClose already logs those sparingly.
    attempt.timer = setTimeout(() => this.hangUp(attempt, 'handshake timed out', 'quiet'), this.options.handshakeTimeoutMs);
    attempt.timer.unref();

    socket.setKeepAlive(true, 10_000);
    socket.on('connect', () => {
      attempt.connected = true;
      socket.write(
        encodeFrame(
          FrameType.Hello,
          encodeHello({ version: HANDSHAKE_VERSION, nonce: attempt.clientNonce, clientId: this.options.self, settings: this.options.settings }),
        ),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        attempt.decoder.push(chunk, (frame) => this.onFrame(attempt, frame));
      } catch (error) {
        if (error instanceof FrameError || error instanceof HandshakeError) {
          if (attempt.phase === 'ready') counters.protocolErrors++;
          this.hangUp(attempt, error.message);
        } else {
          throw error;
        }
      }
    });
    socket.on('drain', () => {
      if (attempt.drainTimer !== null) clearTimeout(attempt.drainTimer);
      attempt.drainTimer = null;
      if (this.attempt === attempt && this.state === 'ready') this.pump();
    });
    socket.on('error', (error) => {
      if (attempt.failure === null) attempt.failure = error.message;
    });
    socket.on('close', () => this.onClose(attempt));
  }

  private onFrame(attempt: Attempt, frame: Frame): void {
    if (attempt.failure !== null) return;
    const { options } = this;
    switch (attempt.phase) {
      case 'challenge': {
        if (frame.type !== FrameType.Challenge) throw new HandshakeError(`expected CHALLENGE, got frame type ${frame.type}`);
        const challenge = decodeChallenge(frame.payload);
        if (challenge.serverId !== options.peer) {
          throw new HandshakeError(`dialed ${options.peer} but reached a node calling itself ${challenge.serverId}`);
        }
        const transcript = {
          clientNonce: attempt.clientNonce,
          serverNonce: challenge.nonce,
          clientId: options.self,
          serverId: options.peer,
        };
        if (!verifyProof(options.secret, 'server', transcript, challenge.proof)) {
          options.counters.authFailures++;
          attempt.counted = true;
          this.hangUp(attempt, 'peer failed to prove the cluster secret (auth failure)');
          return;
        }
        // Compared once the server has proven the secret (see peer-handshake.ts).
        const mismatch = settingsMismatch(options.peer, challenge.settings, options.settings);
        if (mismatch !== null) {
          this.hangUp(attempt, mismatch);
          return;
        }
        attempt.socket.write(encodeFrame(FrameType.Proof, computeProof(options.secret, 'client', transcript)));
        attempt.phase = 'welcome';
        return;
      }
      case 'welcome': {
        if (frame.type !== FrameType.Welcome || frame.payload.length !== 0) {
          throw new HandshakeError(`expected WELCOME, got frame type ${frame.type}`);
        }
        attempt.phase = 'ready';
        if (attempt.timer !== null) clearTimeout(attempt.timer);
        attempt.timer = null;
        if (this.backoff.consecutiveFailures > 0) {
          options.logger.info(`connected to ${options.peer} after ${this.backoff.consecutiveFailures} failed attempt(s)`);
        }
        this.backoff.reset();
        this.lastAttemptFailure = null;
        this.state = 'ready';
        this.pump();
        return;
      }
      case 'ready':
        // The server only ever speaks during the handshake.
        throw new FrameError(`unexpected frame type ${frame.type} from ${options.peer} after the handshake`);
    }
  }

  /**
   * Pumps at the end of this event-loop turn (setImmediate runs right after the poll phase): every message
   * the node produces while handling one turn's worth of I/O — all the HTTP requests, peer frames and fsync
   * completions that arrived together — leaves in one corked writev per peer rather than one syscall per
   * callback. Measured on a 3-node loopback cluster, writev was the top self-time entry; a pump per
   * microtask (per callback) still cost about one writev per client request under load.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Writes queued messages until the queue is empty or the socket asks us to wait for 'drain'. While it waits,
   * nothing more leaves the bounded queue: new messages stay there (and past its limit the oldest are dropped,
   * counted). Writing on regardless — one message per turn even after write() said wait — moved everything
   * into the socket's own buffer, which has no limit: a peer that stopped reading (SIGSTOPped) grew its
   * sender by 300 MiB while the queue read empty (found by a review of the transport). A peer that reads
   * nothing for drainTimeoutMs is hung up on, like one that is gone.
   */
  private pump(): void {
    const attempt = this.attempt;
    if (attempt === null || this.state !== 'ready') return;
    const { socket } = attempt;
    const { counters } = this.options;
    if (socket.writableNeedDrain) return this.awaitDrain(attempt);
    // Corking turns a burst of small messages into one writev instead of two syscalls per message.
    socket.cork();
    try {
      for (;;) {
        const message = this.queue.shift();
        if (message === undefined) break;
        socket.write(encodeFrameHeader(FrameType.Data, message.length));
        const more = socket.write(message);
        counters.framesSent++;
        counters.bytesSent += message.length;
        if (!more) break;
      }
    } finally {
      socket.uncork();
    }
    if (socket.writableNeedDrain) this.awaitDrain(attempt);
  }

  /**
   * 'drain' comes each time the socket's buffer empties, so the watch measures time without progress of a
   * whole message: a peer slow enough to take longer than drainTimeoutMs over one message (a 16 MiB frame at
   * under 1.6 MB/s, at the default 10 s) is hung up on like a stopped one, and redialled.
   */
  private awaitDrain(attempt: Attempt): void {
    if (attempt.drainTimer !== null) return;
    const timeoutMs = this.options.drainTimeoutMs;
    attempt.drainTimer = setTimeout(() => {
      attempt.drainTimer = null;
      if (this.attempt !== attempt || !attempt.socket.writableNeedDrain) return;
      this.hangUp(attempt, `${this.options.peer} read nothing for ${timeoutMs / 1000} s (${attempt.socket.writableLength} bytes unsent)`);
    }, timeoutMs);
    attempt.drainTimer.unref();
  }

  private hangUp(attempt: Attempt, reason: string, level: 'warn' | 'quiet' = 'warn'): void {
    if (attempt.failure === null) {
      attempt.failure = reason;
      if (level === 'warn') this.options.logger.warn(`connection to ${this.options.peer}: ${reason}`);
    }
    attempt.socket.destroy();
  }

  private onClose(attempt: Attempt): void {
    if (attempt.timer !== null) clearTimeout(attempt.timer);
    attempt.timer = null;
    if (attempt.drainTimer !== null) clearTimeout(attempt.drainTimer);
    attempt.drainTimer = null;
    if (this.attempt !== attempt) return;
    this.attempt = null;
    const waiters = this.closeWaiters.splice(0);
    for (const resolve of waiters) resolve();
    if (this.state === 'closed') return;

    const { counters, logger, peer } = this.options;
    const wasReady = attempt.phase === 'ready';
    if (wasReady) {
      logger.info(`connection to ${peer} lost${attempt.failure !== null ? `: ${attempt.failure}` : ''}`);
      // Reported as unreachable from now until a session is back, not only once a reconnect attempt has failed.
      this.lastAttemptFailure = `connection lost${attempt.failure !== null ? `: ${attempt.failure}` : ''}`;
    } else {
      this.lastAttemptFailure = attempt.failure ?? 'connection closed';
      counters.connectFailures++;
      // An attempt that got a TCP connection but not a session is a handshake failure unless already
      // counted as an auth failure; a refused or unreachable address is just a connect failure.
      if (attempt.connected && !attempt.counted) counters.handshakeFailures++;
    }

    if (this.queue.length === 0 && wasReady) {
      this.state = 'idle';
      return;
    }
    const delay = this.backoff.nextDelayMs();
    if (!wasReady && isPowerOfTwo(this.backoff.consecutiveFailures)) {
      logger.info(
        `cannot reach ${peer} at ${this.address.host}:${this.address.port} ` +
          `(${attempt.failure ?? 'connection closed'}); attempt ${this.backoff.consecutiveFailures}, retrying in ${Math.round(delay)} ms`,
      );
    }
    this.state = 'waiting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state === 'waiting') this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
