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

/**
 * Buffer ownership (zero-copy delivery). A message buffer is immutable from the moment it is sent:
 * - the sender must not write to a buffer it passed to `send`, ever again (core sends a fresh encoding each
 *   time: `encodeMessage` copies out of its scratch writer);
 * - the handler receives a buffer that no one will write to again — the simulator hands over the sender's own
 *   buffer (a duplicated message delivers the same buffer twice), real mode a view into the socket read the
 *   frame arrived in (Node never reuses a read's buffer) or, for a frame split across reads, a copy of its
 *   own — so the receiver may keep it, or views into it, for as long as it likes;
 * - the receiver must not write to it either (nor to views of it, e.g. the fields `decodeMessage` returns),
 *   since the same bytes may be delivered again, or still be held by the sender or another receiver.
 *   Anything core wants to change or hand over (engine.writeBatch with `transfer`) is a fresh buffer of its own.
 * (A kept view keeps its whole message alive — in real mode the whole socket read, up to ~64 KiB: keep views
 * only as long as a request lasts; copy for longer.)
 */
export type MessageHandler = (from: NodeId, message: Uint8Array) => void;

export interface Transport {
  /** The id of the node this transport belongs to. */
  readonly self: NodeId;
  /** Queues `message` for `to`. Never throws for an unreachable peer: the message is simply not delivered. */
  send(to: NodeId, message: Uint8Array): void;
  /** Installs the handler for incoming messages (one per node; a second call replaces the first). */
  onMessage(handler: MessageHandler): void;
}
