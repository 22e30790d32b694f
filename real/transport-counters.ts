/**
 * Running totals kept by the TCP transport and the links it owns. One mutable object shared by reference:
 * the links increment it directly, and `TcpTransport.stats()` hands out a copy.
 *
 * "Sent" means written to the socket (handed to the kernel), not acknowledged by the peer — the transport
 * gives no delivery receipts, by contract. Byte counters count message bytes, not frame headers.
 */
export interface TransportCounters {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Messages a node sent to itself, delivered without a socket. */
  localDeliveries: number;

  /** Oldest queued messages evicted because a peer's queue was full (count or bytes). */
  dropsQueueFull: number;
  /** Messages larger than the frame limit or the queue's byte bound: they could never be sent. */
  dropsOversize: number;
  /** Messages for a node id with no known address. */
  dropsUnknownPeer: number;
  /** Messages sent after close, or still queued when the transport closed. */
  dropsClosed: number;
  /** Messages that arrived before any handler was installed. */
  dropsNoHandler: number;

  /** A peer failed to prove the cluster secret (either direction). */
  authFailures: number;
  /** Handshakes that ended otherwise: timeout, hang-up, malformed handshake frame, wrong node id. */
  handshakeFailures: number;
  /** Malformed, oversize, truncated or unexpected frames; each closed its connection. */
  protocolErrors: number;

  /** Outbound TCP connection attempts, first ones included. */
  connectAttempts: number;
  /** Attempts that did not reach an authenticated session. */
  connectFailures: number;
  /** Attempts made after an earlier connection to the same peer failed or was lost. */
  reconnects: number;
  /** Inbound connections accepted / authenticated / refused because of the connection limit. */
  inboundAccepted: number;
  inboundAuthenticated: number;
  inboundRefused: number;
  /** Connections still in their handshake closed to make room for a newer one (maxPendingHandshakes). */
  inboundEvicted: number;
}

export function newTransportCounters(): TransportCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    localDeliveries: 0,
    dropsQueueFull: 0,
    dropsOversize: 0,
    dropsUnknownPeer: 0,
    dropsClosed: 0,
    dropsNoHandler: 0,
    authFailures: 0,
    handshakeFailures: 0,
    protocolErrors: 0,
    connectAttempts: 0,
    connectFailures: 0,
    reconnects: 0,
    inboundAccepted: 0,
    inboundAuthenticated: 0,
    inboundRefused: 0,
    inboundEvicted: 0,
  };
}
