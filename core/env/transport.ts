/**
 * Node-to-node messaging. Messages are opaque bytes: core encodes its message union with its own codec, so the
 * very bytes the simulator delivers are the bytes that cross TCP in real mode (and the simulator can size,
 * hash, duplicate and corrupt them honestly).
 *
 * Delivery is best-effort: a message may be lost, delayed, duplicated or reordered (by the simulated network
 * when told to, by a broken TCP connection in real mode). Core protocols must tolerate all of that; they get
 * no delivery receipt and use timeouts instead.
 */
export type NodeId = string;

export type MessageHandler = (from: NodeId, message: Uint8Array) => void;

export interface Transport {
  /** The id of the node this transport belongs to. */
  readonly self: NodeId;
  /** Queues `message` for `to`. Never throws for an unreachable peer: the message is simply not delivered. */
  send(to: NodeId, message: Uint8Array): void;
  /** Installs the handler for incoming messages (one per node; a second call replaces the first). */
  onMessage(handler: MessageHandler): void;
}
