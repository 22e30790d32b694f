/**
 * Length-prefixed framing for node-to-node TCP connections.
 *
 * TCP is a byte stream; the core's messages are discrete byte strings. Every message (and every handshake
 * step) therefore travels as one frame:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                 length (u32, big-endian)                      |
 *   +---------------+-----------------------------------------------+
 *   |  type (u8)    |  payload (length - 1 bytes) ...               |
 *   +---------------+                                               |
 *   |                                                               |
 *   +---------------------------------------------------------------+
 *
 *   length  = number of bytes that follow the length field (1 type byte + payload), so length ≥ 1.
 *   type    = one of FrameType below; anything else is a protocol error.
 *
 * The decoder enforces a maximum `length` as soon as the 4-byte prefix has arrived, before buffering any of
 * the body: a hostile or broken peer announcing 4 GiB costs us four bytes, not four gigabytes. The limit can
 * be lowered while a connection is unauthenticated (see tcp-transport.ts) and raised after the handshake.
 *
 * Any violation throws FrameError; the caller's only correct reaction is to close that one connection,
 * because after a framing error the stream position is meaningless.
 */

export const FRAME_HEADER_BYTES = 5;
const LENGTH_FIELD_BYTES = 4;

/** Largest `length` the codec can express at all (u32). Callers choose a much smaller working limit. */
export const MAX_ENCODABLE_LENGTH = 0xffff_ffff;

export const FrameType = {
  /** client → server: protocol version, client nonce, client node id. */
  Hello: 1,
  /** server → client: server nonce, server node id, server proof. */
  Challenge: 2,
  /** client → server: client proof. */
  Proof: 3,
  /** server → client: the client is authenticated; data may flow. Empty payload. */
  Welcome: 4,
  /** client → server: one opaque core message. */
  Data: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Frame {
  type: FrameType;
  /** A view of exactly the payload bytes: into the socket read it arrived in, or (split frames) a copy of its own. Never rewritten. */
  payload: Uint8Array;
}

/**
 * The 5-byte header for a frame with `payloadLength` payload bytes. Kept separate from the payload so that
 * a 1 MiB message is written to the socket as header + the caller's own bytes, without a copy.
 */
export function encodeFrameHeader(type: FrameType, payloadLength: number): Buffer {
  const length = payloadLength + 1;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || length > MAX_ENCODABLE_LENGTH) {
    throw new FrameError(`payload length ${payloadLength} cannot be framed`);
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(length, 0);
  header.writeUInt8(type, LENGTH_FIELD_BYTES);
  return header;
}

/** A whole frame in one buffer; used for the small handshake frames. */
export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  return Buffer.concat([encodeFrameHeader(type, payload.length), payload]);
}

/**
 * Incremental decoder: feed it chunks as they arrive, get whole frames back in order.
 *
 * A frame that lies whole inside one chunk (the usual case: a socket read carries many small frames) is
 * handed on as a view into that chunk, without a copy. That is safe because Node gives every socket read a
 * buffer of its own and never writes into it again; a caller feeding chunks from a buffer it reuses would
 * have to copy first. A frame split across chunks is copied once, into a buffer allocated at its exact size
 * when its length is known, so a 1 MiB message arriving in 64 KiB chunks costs one allocation and one copy
 * per byte — no re-concatenation of a growing buffer.
 */
export class FrameDecoder {
  /** Bytes of a length prefix that has not fully arrived yet. */
  private readonly prefix = Buffer.alloc(LENGTH_FIELD_BYTES);
  private prefixFilled = 0;
  /** Body (type + payload) of the frame being assembled, or null while reading a prefix. */
  private body: Uint8Array | null = null;
  private bodyFilled = 0;

  constructor(private maxLength: number) {}

  /** Changes the largest acceptable `length` (e.g. after authentication). Applies to the next prefix read. */
  setMaxLength(maxLength: number): void {
    this.maxLength = maxLength;
  }

  /** True when a frame is partly received — at end of stream this means the peer truncated it. */
  get hasPartialFrame(): boolean {
    return this.prefixFilled > 0 || this.body !== null;
  }

  /**
   * Consumes `chunk`, calling `onFrame` for each frame it completes, in order. Throws FrameError on a
   * malformed stream — after delivering the good frames that preceded the bad bytes. A callback rather than
   * a returned array so that a handler may change the decoder (setMaxLength after authentication) with
   * effect on the very next frame of the same chunk.
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body === null) {
        let length: number;
        if (this.prefixFilled === 0 && chunk.length - offset >= LENGTH_FIELD_BYTES) {
          // The whole prefix is in this chunk (the usual case): read it in place.
          length = ((chunk[offset]! << 24) | (chunk[offset + 1]! << 16) | (chunk[offset + 2]! << 8) | chunk[offset + 3]!) >>> 0;
          offset += LENGTH_FIELD_BYTES;
        } else {
          const take = Math.min(LENGTH_FIELD_BYTES - this.prefixFilled, chunk.length - offset);
          this.prefix.set(chunk.subarray(offset, offset + take), this.prefixFilled);
          this.prefixFilled += take;
          offset += take;
          if (this.prefixFilled < LENGTH_FIELD_BYTES) break;
          length = this.prefix.readUInt32BE(0);
          this.prefixFilled = 0;
        }
        if (length === 0) throw new FrameError('frame length 0 (no type byte)');
        if (length > this.maxLength) {
          throw new FrameError(`frame length ${length} exceeds the limit of ${this.maxLength} bytes`);
        }
        if (chunk.length - offset >= length) {
          // The whole frame is in this chunk: handed on as a view, no copy (see the class comment).
          const start = offset;
          offset += length;
          onFrame(toFrame(chunk.subarray(start, offset)));
          continue;
        }
        this.body = new Uint8Array(length);
        this.bodyFilled = 0;
        continue;
      }
      const take = Math.min(this.body.length - this.bodyFilled, chunk.length - offset);
      this.body.set(chunk.subarray(offset, offset + take), this.bodyFilled);
      this.bodyFilled += take;
      offset += take;
      if (this.bodyFilled === this.body.length) {
        const body = this.body;
        this.body = null;
        onFrame(toFrame(body));
      }
    }
  }
}

function toFrame(body: Uint8Array): Frame {
  const type = body[0]!;
  if (!KNOWN_TYPES.has(type)) throw new FrameError(`unknown frame type ${type}`);
  return { type: type as FrameType, payload: body.subarray(1) };
}
