import * as net from 'node:net';
import type { MessageHandler, NodeId, Transport } from '../core/env';
import { InboundConnection } from './inbound-connection';
import { OutboundLink, type LinkState, type PeerAddress } from './outbound-link';
import type { BackoffOptions } from './reconnect-backoff';
import type { SendQueueLimits } from './send-queue';
import { newTransportCounters, type TransportCounters } from './transport-counters';
import { consoleTransportLogger, type TransportLogger } from './transport-logger';

export type { PeerAddress } from './outbound-link';
export type { TransportLogger } from './transport-logger';
export type { TransportCounters } from './transport-counters';

/**
 * The real-mode Transport: the core's opaque messages carried between node processes over TCP.
 *
 * - Framing: u32 length | u8 type | payload (frame-codec.ts), at most `maxFrameBytes` per frame.
 * - Authentication: a challenge-response handshake over a shared cluster secret (peer-handshake.ts); after
 *   it, the session is trusted (no per-frame MAC, no encryption — use TLS or a VPN across untrusted networks).
 * - Outbound: one lazily opened connection per peer, reconnect with capped, jittered exponential backoff,
 *   and a bounded queue that drops the oldest messages when full (outbound-link.ts, send-queue.ts).
 * - Inbound: accepted connections are authenticated, then their frames are handed to the core's handler
 *   with the peer's authenticated id (inbound-connection.ts).
 * - Any bad connection is closed on its own; the node and its other connections keep going.
 *
 * `send` never throws and never blocks: like the simulated network, the transport is best-effort, and the
 * counters in `stats()` say what it dropped and why. Messages are held by reference until written, so the
 * caller must not mutate a message after sending it.
 */
export interface TcpTransportOptions {
  self: NodeId;
  /** Where to accept peer connections. Defaults to 127.0.0.1 and port 0 (any free port; see `address()`). */
  listen?: { host?: string; port?: number };
  /** Known peers. More can be added (or moved) later with `setPeer`. */
  peers?: ReadonlyMap<NodeId, PeerAddress> | Readonly<Record<NodeId, PeerAddress>>;
  /** Shared by every node of the cluster; proves membership in the handshake. */
  clusterSecret: string;
  /**
   * What every member must share for their messages to make sense to each other (conflict mode, N, ring
   * shape), as one ASCII string; a peer whose settings differ is refused in the handshake and logged.
   * Default '' (nothing compared beyond the secret).
   */
  clusterSettings?: string;
  logger?: TransportLogger;
  /** Largest frame (type byte + message). Default 16 MiB: values are at most 1 MiB plus message overhead. */
  maxFrameBytes?: number;
  /** Per-peer outbound queue bounds. Default 10 000 messages and 64 MiB. */
  queue?: Partial<SendQueueLimits>;
  /** Reconnect backoff. Default 50 ms doubling up to 5 s, with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Time allowed for connect + handshake, in either direction. Default 5 s. */
  handshakeTimeoutMs?: number;
  /** A peer that takes nothing of what is sent to it for this long is hung up on. Default 10 s. */
  drainTimeoutMs?: number;
  /** Inbound connections beyond this are refused by the server. Default 256: a member needs one, and a flood of
   * unauthenticated ones must not take every file descriptor (the open-file limit is often 1024). */
  maxInboundConnections?: number;
  /**
   * Inbound connections still in their handshake beyond this make room by closing the oldest of them. Default
   * 32. Without it, 260 idle unauthenticated connections (reopened as fast as they were closed) held every
   * slot of maxInboundConnections, and a real member could not connect at all (a review); a member's handshake
   * takes a round trip, so a newcomer's room is the flood's oldest connection, not the member's.
   */
  maxPendingHandshakes?: number;
  /**
   * Welcome only clients whose authenticated id is a known peer (`peers` / `setPeer`), refusing and logging any
   * other. Default false: a transport told its peers one at a time (tests; a peer added later) takes any id.
   * A real node, which knows every member from its config, sets it. A client claiming this node's own id is
   * refused either way.
   */
  onlyKnownPeers?: boolean;
}

export interface PeerLinkStats {
  address: PeerAddress;
  state: LinkState;
  queuedMessages: number;
  queuedBytes: number;
  /** Written to the socket but not yet taken by the peer (the send buffer; at most about one high-water mark). */
  unsentBytes: number;
  consecutiveFailures: number;
  /** Why the last attempt to reach this peer failed, while it is unreachable (see OutboundLink.lastFailure). */
  lastFailure?: string;
}

export interface TcpTransportStats extends TransportCounters {
  /** Sum of every drop counter. */
  drops: number;
  openInboundConnections: number;
  peers: Record<NodeId, PeerLinkStats>;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const DEFAULT_QUEUE: SendQueueLimits = { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 };
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 5_000 };
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_INBOUND = 256;
const DEFAULT_MAX_PENDING_HANDSHAKES = 32;
/** A warning that can repeat under a flood is logged at most this often, with how many were held back. */
const WARN_INTERVAL_MS = 10_000;

type Lifecycle = 'new' | 'starting' | 'running' | 'closed';

export class TcpTransport implements Transport {
  readonly self: NodeId;
  private readonly secret: string;
  private readonly settings: string;
  private readonly logger: TransportLogger;
  private readonly counters = newTransportCounters();
  private readonly maxPendingHandshakes: number;
  private readonly onlyKnownPeers: boolean;
  private readonly throttled = new Map<string, { lastMs: number; held: number; latest: string; timer: NodeJS.Timeout | null }>();
  private readonly maxFrameBytes: number;
  private readonly queueLimits: SendQueueLimits;
  private readonly backoff: BackoffOptions;
  private readonly handshakeTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private readonly listenHost: string;
  private readonly listenPort: number;
  private readonly addresses = new Map<NodeId, PeerAddress>();
  private readonly links = new Map<NodeId, OutboundLink>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly server: net.Server;
  private handler: MessageHandler | null = null;
  private lifecycle: Lifecycle = 'new';
  private boundAddress: PeerAddress | null = null;

  constructor(options: TcpTransportOptions) {
    if (options.clusterSecret.length === 0) throw new Error('TcpTransport: clusterSecret must not be empty');
    this.self = options.self;
    this.secret = options.clusterSecret;
    this.settings = options.clusterSettings ?? '';
    this.logger = options.logger ?? consoleTransportLogger(options.self);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.queueLimits = { ...DEFAULT_QUEUE, ...options.queue };
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.listenHost = options.listen?.host ?? '127.0.0.1';
    this.listenPort = options.listen?.port ?? 0;
    const peers = options.peers instanceof Map ? options.peers : new Map(Object.entries(options.peers ?? {}));
    for (const [id, address] of peers) this.setPeer(id, address);

    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.maxConnections = options.maxInboundConnections ?? DEFAULT_MAX_INBOUND;
    this.maxPendingHandshakes = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    this.onlyKnownPeers = options.onlyKnownPeers ?? false;
    this.server.on('drop', () => {
      this.counters.inboundRefused++;
      this.warnThrottled('refused', `refused an inbound connection: limit of ${this.server.maxConnections} reached`);
    });
  }

  /** Starts listening; resolves with the bound address (useful with port 0). */
  start(): Promise<PeerAddress> {
    if (this.lifecycle !== 'new') return Promise.reject(new Error(`TcpTransport ${this.self}: start() called twice`));
    this.lifecycle = 'starting';
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.lifecycle = 'closed';
        reject(error);
      };
      this.server.once('error', onError);
      this.server.listen(this.listenPort, this.listenHost, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) => this.logger.warn(`server error: ${error.message}`));
        const bound = this.server.address() as net.AddressInfo;
        this.boundAddress = { host: bound.address, port: bound.port };
        if (this.lifecycle === 'closed') {
          // close() raced start(): the server is listening now, so close it again.
          this.server.close();
          reject(new Error(`TcpTransport ${this.self}: closed while starting`));
          return;
        }
        this.lifecycle = 'running';
        resolve(this.boundAddress);
      });
    });
  }

  /** The address peers should dial; only known once `start()` has resolved. */
  address(): PeerAddress {
    if (this.boundAddress === null) throw new Error(`TcpTransport ${this.self}: not started`);
    return this.boundAddress;
  }

  /**
   * Adds a peer or changes its address (an existing connection to the old address is dropped). A malformed
   * address throws here, at configuration time, so that `send` itself never can (net.connect throws
   * synchronously on a bad port).
   */
  setPeer(id: NodeId, address: PeerAddress): void {
    if (typeof address.host !== 'string' || address.host.length === 0) {
      throw new Error(`TcpTransport ${this.self}: peer ${id} needs a host`);
    }
    if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65_535) {
      throw new Error(`TcpTransport ${this.self}: peer ${id} has invalid port ${address.port}`);
    }
    this.addresses.set(id, { host: address.host, port: address.port });
    this.links.get(id)?.setAddress(address);
  }

  /** Forgets a peer: its queue is discarded and its connection closed. Inbound connections are unaffected. */
  removePeer(id: NodeId): Promise<void> {
    this.addresses.delete(id);
    const link = this.links.get(id);
    this.links.delete(id);
    return link?.close() ?? Promise.resolve();
  }

  send(to: NodeId, message: Uint8Array): void {
    if (this.lifecycle === 'closed') {
      this.counters.dropsClosed++;
      return;
    }
    if (to === this.self) {
      this.deliverLocally(message);
      return;
    }
    let link = this.links.get(to);
    if (link === undefined) {
      const address = this.addresses.get(to);
      if (address === undefined) {
        this.counters.dropsUnknownPeer++;
        return;
      }
      link = new OutboundLink({
        self: this.self,
        peer: to,
        address,
        secret: this.secret,
        settings: this.settings,
        queue: this.queueLimits,
        backoff: this.backoff,
        handshakeTimeoutMs: this.handshakeTimeoutMs,
        maxFrameBytes: this.maxFrameBytes,
        drainTimeoutMs: this.drainTimeoutMs,
        counters: this.counters,
        logger: this.logger,
      });
      this.links.set(to, link);
    }
    link.send(message);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /** Peers this node failed to reach on its last attempt, with the reason (e.g. differing cluster settings). */
  unreachablePeers(): { peer: NodeId; reason: string }[] {
    const out: { peer: NodeId; reason: string }[] = [];
    for (const [peer, link] of this.links) {
      const reason = link.lastFailure;
      if (reason !== null) out.push({ peer, reason });
    }
    return out;
  }

  stats(): TcpTransportStats {
    const c = this.counters;
    const peers: Record<NodeId, PeerLinkStats> = {};
    for (const [id, address] of this.addresses) {
      const link = this.links.get(id);
      peers[id] = {
        address: { ...address },
        state: link?.linkState ?? 'idle',
        queuedMessages: link?.queuedMessages ?? 0,
        queuedBytes: link?.queuedBytes ?? 0,
        unsentBytes: link?.unsentBytes ?? 0,
        consecutiveFailures: link?.consecutiveFailures ?? 0,
        ...(link?.lastFailure ? { lastFailure: link.lastFailure } : {}),
      };
    }
    return {
      ...c,
      drops: c.dropsQueueFull + c.dropsOversize + c.dropsUnknownPeer + c.dropsClosed + c.dropsNoHandler,
      openInboundConnections: this.inbound.size,
      peers,
    };
  }

  /**
   * Stops listening, closes every connection and timer, and resolves when all handles are released, so a
   * process (or a test) can exit. Messages still queued are discarded (counted as dropsClosed).
   */
  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    const wasListening = this.lifecycle !== 'new';
    this.lifecycle = 'closed';
    for (const state of this.throttled.values()) if (state.timer !== null) clearTimeout(state.timer);
    const serverClosed = wasListening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    const inboundClosed = [...this.inbound].map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.socket.closed) resolve();
          else connection.socket.once('close', () => resolve());
          connection.destroy();
        }),
    );
    const linksClosed = [...this.links.values()].map((link) => link.close());
    await Promise.all([serverClosed, ...inboundClosed, ...linksClosed]);
  }

  private accept(socket: net.Socket): void {
    if (this.lifecycle === 'closed') {
      socket.destroy();
      return;
    }
    this.counters.inboundAccepted++;
    this.makeRoomForHandshake();
    const connection = new InboundConnection(socket, {
      self: this.self,
      secret: this.secret,
      settings: this.settings,
      maxFrameBytes: this.maxFrameBytes,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      counters: this.counters,
      logger: this.logger,
      warnThrottled: (kind, message) => this.warnThrottled(kind, message),
      judgeClientId: (clientId) => this.judgeClientId(clientId),
      deliver: (from, message) => this.deliver(from, message),
      onClosed: (closed) => this.inbound.delete(closed),
    });
    this.inbound.add(connection);
  }

  /** Why an authenticated client's claimed id is refused, or null to welcome it (see onlyKnownPeers). */
  private judgeClientId(clientId: NodeId): string | null {
    if (clientId === this.self) {
      return `it claims this node's own id '${clientId}' (a member entry with this node's address, or a copied config?); refusing it`;
    }
    if (this.onlyKnownPeers && !this.addresses.has(clientId)) {
      const known = [...this.addresses.keys()];
      const listed = known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ');
      return `'${clientId}' is not a member of this node's cluster (peers: ${listed || 'none'}); refusing it (every node must have the same member list)`;
    }
    return null;
  }

  /** At most maxPendingHandshakes − 1 connections still in their handshake: the oldest ones go. */
  private makeRoomForHandshake(): void {
    let pending = 0;
    for (const connection of this.inbound) if (connection.pendingHandshake) pending++;
    // The set keeps insertion order: the first pending connections are the oldest.
    for (const connection of this.inbound) {
      if (pending < this.maxPendingHandshakes) break;
      if (!connection.pendingHandshake) continue;
      connection.evict(`closed to make room: ${this.maxPendingHandshakes} connections were already waiting in their handshake`);
      pending--;
      this.counters.inboundEvicted++;
      this.warnThrottled('evicted', `closed an unauthenticated inbound connection from ${connection.remote} still in its handshake to make room for a newer one (limit ${this.maxPendingHandshakes}; a flood of idle connections?)`);
    }
  }

  /**
   * Logs `message` now, or — if the same kind was logged in the last 10 s — holds it, and when those 10 s are
   * up logs the latest held one with how many there were (a review: a burst's count was only ever reported if
   * another one came later, so 195 of 196 evictions never appeared).
   */
  private warnThrottled(kind: string, message: string): void {
    const now = Date.now();
    let state = this.throttled.get(kind);
    if (state === undefined) {
      state = { lastMs: Number.NEGATIVE_INFINITY, held: 0, latest: '', timer: null };
      this.throttled.set(kind, state);
    }
    if (now - state.lastMs >= WARN_INTERVAL_MS && state.timer === null) {
      this.logger.warn(message);
      state.lastMs = now;
      return;
    }
    state.held++;
    state.latest = message;
    if (state.timer === null) {
      const held = state;
      held.timer = setTimeout(() => {
        held.timer = null;
        if (held.held === 0 || this.lifecycle === 'closed') return;
        this.logger.warn(`${held.latest} — ${held.held} like it in the last ${WARN_INTERVAL_MS / 1000} s`);
        held.held = 0;
        held.lastMs = Date.now();
      }, Math.max(0, held.lastMs + WARN_INTERVAL_MS - now));
      held.timer.unref();
    }
  }

  private deliverLocally(message: Uint8Array): void {
    // Off the caller's stack, as a network delivery would be: a handler that sends to itself must not recurse.
    queueMicrotask(() => {
      if (this.lifecycle === 'closed') return;
      this.counters.localDeliveries++;
      this.deliver(this.self, message);
    });
  }

  private deliver(from: NodeId, message: Uint8Array): void {
    const handler = this.handler;
    if (handler === null) {
      this.counters.dropsNoHandler++;
      return;
    }
    try {
      handler(from, message);
    } catch (error) {
      // A bug in the message handler is not the peer's fault: log it and keep the connection.
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.logger.warn(`message handler threw on a message from ${from}: ${detail}`);
    }
  }
}
