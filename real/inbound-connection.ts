import type * as net from 'node:net';
import type { NodeId } from '../core/env';
import { encodeFrame, FrameDecoder, FrameError, FrameType, type Frame } from './frame-codec';
import {
  computeProof,
  decodeHello,
  decodeProof,
  encodeChallenge,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_VERSION,
  HandshakeError,
  newNonce,
  settingsMismatch,
  verifyProof,
  type HandshakeTranscript,
} from './peer-handshake';
import type { TransportCounters } from './transport-counters';
import type { TransportLogger } from './transport-logger';

/**
 * The receiving half: one accepted socket, taken through the server side of the handshake
 * (peer-handshake.ts), then turned into a stream of messages attributed to the authenticated peer.
 *
 * Until the peer has proven the cluster secret, the frame limit is the handshake's (512 bytes) rather than
 * the data limit (16 MiB by default), so an unauthenticated stranger cannot make us buffer more than that.
 * Anything wrong — garbage, an unknown frame type, an oversize length, data before the handshake, a bad
 * proof, a frame cut off by end of stream, silence past the handshake deadline — closes this socket and
 * nothing else; it is counted and logged. What a stranger can cause before proving the secret (a failed
 * proof, a bad or abandoned handshake) is logged through `warnThrottled`, one line per kind per 10 s with a
 * count, not a line per connection (a review: 400 such connections wrote 400 WARN lines in 6 s); the counters
 * still count every one.
 */
export interface InboundConnectionOptions {
  self: NodeId;
  secret: string;
  /** Cluster settings every member must share (see peer-handshake.ts); compared with the client's. */
  settings: string;
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  counters: TransportCounters;
  logger: TransportLogger;
  /** Logs a warning that a flood could repeat: at most one line per `kind` per 10 s, with a count (TcpTransport). */
  warnThrottled: (kind: string, message: string) => void;
  /**
   * Judges the id an authenticated client claims: null to welcome it, or why it is refused (this node's own
   * id, or not a member). Asked only once the client has proven the secret. Default: every id is welcome.
   */
  judgeClientId?: (clientId: NodeId) => string | null;
  /** Called with every data message, attributed to the authenticated peer. */
  deliver: (from: NodeId, message: Uint8Array) => void;
  /** Called once, when the socket has closed. */
  onClosed: (connection: InboundConnection) => void;
}

type Phase = 'hello' | 'proof' | 'ready' | 'closed';

export class InboundConnection {
  private phase: Phase = 'hello';
  private readonly decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private transcript: HandshakeTranscript | null = null;
  /** The settings the client sent in HELLO, compared once it has proven the secret. */
  private clientSettings = '';
  private peerId: NodeId | null = null;
  private timer: NodeJS.Timeout | null;
  /** Why we hung up, when it was us; otherwise null. */
  private failure: string | null = null;
  /** host:port of the other end. */
  readonly remote: string;

  constructor(
    readonly socket: net.Socket,
    private readonly options: InboundConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.timer = setTimeout(() => {
      options.counters.handshakeFailures++;
      this.hangUp('handshake timed out');
    }, options.handshakeTimeoutMs);
    this.timer.unref();

    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    // 'close' always follows 'error'; the error itself (a reset, usually) needs no handling of its own, but
    // an 'error' event without a listener would crash the process.
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
  }

  /** The authenticated peer, once the handshake has completed. */
  get peer(): NodeId | null {
    return this.peerId;
  }

  /** Hangs up; `close` handlers run asynchronously. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed' || this.failure !== null) return;
    try {
      this.decoder.push(chunk, (frame) => this.onFrame(frame));
    } catch (error) {
      if (!(error instanceof FrameError) && !(error instanceof HandshakeError)) throw error;
      if (this.phase === 'ready') this.options.counters.protocolErrors++;
      else this.options.counters.handshakeFailures++;
      this.hangUp(error.message);
    }
  }

  private onFrame(frame: Frame): void {
    // A hang-up earlier in the same chunk: ignore the rest of it.
    if (this.failure !== null) return;
    const { options } = this;
    switch (this.phase) {
      case 'hello': {
        if (frame.type !== FrameType.Hello) throw new HandshakeError(`expected HELLO, got frame type ${frame.type}`);
        const hello = decodeHello(frame.payload);
        if (hello.version !== HANDSHAKE_VERSION) {
          throw new HandshakeError(`unsupported handshake version ${hello.version} (this node speaks ${HANDSHAKE_VERSION}): a different dynalab release?`);
        }
        this.clientSettings = hello.settings;
        this.transcript = {
          clientNonce: hello.nonce.slice(), // kept for the connection's life: not a view pinning the whole read
          serverNonce: newNonce(),
          clientId: hello.clientId,
          serverId: options.self,
        };
        const proof = computeProof(options.secret, 'server', this.transcript);
        this.socket.write(
          encodeFrame(
            FrameType.Challenge,
            encodeChallenge({ nonce: this.transcript.serverNonce, proof, serverId: options.self, settings: options.settings }),
          ),
        );
        this.phase = 'proof';
        return;
      }
      case 'proof': {
        if (frame.type !== FrameType.Proof) throw new HandshakeError(`expected PROOF, got frame type ${frame.type}`);
        const transcript = this.transcript!;
        if (!verifyProof(options.secret, 'client', transcript, decodeProof(frame.payload))) {
          options.counters.authFailures++;
          this.hangUp(`${transcript.clientId} failed to prove the cluster secret (auth failure)`, 'auth-failed');
          return;
        }
        // Compared only once the client has proven the secret: an impostor hears "auth failure", not our settings' verdict.
        // A client that has proven the secret is a (perhaps misconfigured) member, not a stranger: logged each time.
        const mismatch = settingsMismatch(transcript.clientId, this.clientSettings, options.settings);
        if (mismatch !== null) {
          this.hangUp(mismatch, null);
          return;
        }
        // The id is only a claim (the secret is the cluster's, not the node's), but a member never claims this
        // node's id or one outside the member list: such a claim is a misconfiguration, refused before its
        // messages could be attributed to it.
        const refusal = options.judgeClientId?.(transcript.clientId) ?? null;
        if (refusal !== null) {
          options.counters.handshakeFailures++;
          this.hangUp(refusal, null);
          return;
        }
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        this.peerId = transcript.clientId;
        this.phase = 'ready';
        this.decoder.setMaxLength(options.maxFrameBytes);
        options.counters.inboundAuthenticated++;
        this.socket.write(encodeFrame(FrameType.Welcome, new Uint8Array(0)));
        return;
      }
      case 'ready': {
        if (frame.type !== FrameType.Data) {
          throw new FrameError(`unexpected frame type ${frame.type} from ${this.peerId} after the handshake`);
        }
        options.counters.framesReceived++;
        options.counters.bytesReceived += frame.payload.length;
        options.deliver(this.peerId!, frame.payload);
        return;
      }
      case 'closed':
        return;
    }
  }

  /** The peer finished sending. A partial frame at this point means it was truncated. */
  private onEnd(): void {
    if (this.failure === null && this.decoder.hasPartialFrame) {
      if (this.phase === 'ready') this.options.counters.protocolErrors++;
      else this.options.counters.handshakeFailures++;
      this.hangUp('stream ended inside a frame (truncated frame)');
      return;
    }
    // Half-open connections are no use to a one-way link; close our side too.
    this.socket.end();
  }

  /** Still proving itself: no peer authenticated on this connection yet, and not closed. */
  get pendingHandshake(): boolean {
    return this.phase === 'hello' || this.phase === 'proof';
  }

  /**
   * Closed by the transport to make room (too many connections in their handshake). Not logged here: under a
   * flood that would be a line per connection; the transport logs evictions at most once per 10 s.
   */
  evict(reason: string): void {
    if (this.failure === null) this.failure = reason;
    this.socket.destroy();
  }

  /**
   * Closes the connection, logging why. `throttle` is the kind of warning for `warnThrottled`, or null to log
   * it as a line of its own; by default a connection still in its handshake (a stranger's, possibly) is
   * throttled, and one from an authenticated peer is not.
   */
  private hangUp(reason: string, throttle: string | null = this.pendingHandshake ? 'handshake-failed' : null): void {
    if (this.failure === null) {
      this.failure = reason;
      const who = this.transcript?.clientId ?? 'unauthenticated peer';
      const message = `closing inbound connection from ${who} at ${this.remote}: ${reason}`;
      if (throttle === null) this.options.logger.warn(message);
      else this.options.warnThrottled(throttle, message);
    }
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.phase === 'closed') return;
    const wasAuthenticating = this.phase === 'hello' || this.phase === 'proof';
    this.phase = 'closed';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // A peer that hangs up mid-handshake without us having judged it (e.g. it rejected *our* proof).
    if (wasAuthenticating && this.failure === null && this.transcript !== null) {
      this.options.counters.handshakeFailures++;
      this.options.warnThrottled(
        'handshake-abandoned',
        `a connection claiming to be ${this.transcript.clientId} at ${this.remote} hung up during the handshake ` +
          '(it may have refused our proof: a different cluster secret or cluster settings on its side)',
      );
    }
    this.options.onClosed(this);
  }
}
