import type { NodeId } from '../env';
import { ByteReader, ByteWriter } from '../storage/bytes';
import { Slab } from '../slab';

/**
 * Every message one node sends another, as one discriminated union, and its binary codec. The simulator
 * delivers exactly these bytes; real mode frames them over TCP.
 *
 * Sibling sets travel as opaque bytes (the versioning codec's encoding), so this layer never needs to know
 * how versions are represented.
 *
 * Wire format (little-endian; str = varint length + UTF-8; bin = varint length + bytes):
 *
 *     +----------+---------+-----------------------------------------------+
 *     | u8 magic | u8 type | fields of that type, in the order listed below |
 *     |   0xD1   |         |                                               |
 *     +----------+---------+-----------------------------------------------+
 *
 *   1 Coordinate       u32 requestId, u8 op, bin key, u8 hasValue, bin value, bin context, u64 ttlMicros,
 *                      u8 w, u8 hasExpected, bin expectedContext
 *   2 CoordinateReply  u32 requestId, u8 status, str error, bin context, u8 acks, u32 siblings (0: one version),
 *                      u8 code (WRITE_CODES)
 *   3 ReplicaWrite     u32 requestId, bin key, bin siblings, str hintFor, u64 ttlMicros
 *   4 ReplicaWriteAck  u32 requestId, u8 ok, str error
 *   5 ReplicaRead      u32 requestId, bin key
 *   6 ReplicaReadReply u32 requestId, u8 found, bin siblings
 *   7 HintDelivery     u32 requestId, bin key, bin siblings, u64 ttlMicros
 *   8 KeyScan          u32 requestId, bin prefix, u32 limit
 *   9 KeyScanReply     u32 requestId, u8 truncated, varint count, bin key × count
 *  10 AeDigests        u32 requestId, u8 fromInitiator, u8 fanoutBits, u8 depth, u8 level, varint count,
 *                      (u32 index, u32 digestA, u32 digestB) × count
 *  11 AeSets           u32 requestId, u8 fromInitiator, u8 flags (1 last, 2 cut), varint leafCount,
 *                      u32 leaf × leafCount, varint count, (bin key, bin siblings) × count
 *
 * Anti-entropy (10, 11) — one exchange between two replicas, requestId chosen by the initiator; every message
 * says which side sent it, so the two directions of concurrent exchanges never mix:
 *
 *     initiator                                   responder
 *        | AeDigests level 0: [root]                  |
 *        |------------------------------------------->|  builds its tree, compares
 *        |          AeDigests level 1: children of the differing nodes (its digests)
 *        |<-------------------------------------------|
 *        | AeDigests level 2: children of those that differ here ...
 *        |------------------------------------------->|  ... alternating until the leaf level
 *        |     AeSets: the leaves that differ and the sender's sibling sets for its keys in them (≤ budgets)
 *        |<------------------------------------------>|  (whichever side compared the leaves sends it)
 *        |     AeSets last: after merging, the sets the other side lacks or holds older
 *        |<------------------------------------------>|
 *   An AeDigests with count 0 means "nothing differs": the exchange ends there.
 *
 *  12 RingGossip       u32 requestId (0), u8 reply, varint count,
 *                      (str id, str weight, u8 status, u32 version) × count
 *  13 RangePull        u32 requestId, bin after, u32 limit, varint count, (u32 start, u32 end) × count
 *  14 RangeBatch       u32 requestId, u8 pushed, u8 more, bin next, varint count, (bin key, bin siblings) × count
 *  15 RangeAck         u32 requestId
 *  16 CoordinateCancel u32 requestId (of the Coordinate it cancels)
 *
 * Membership (12–15, core/membership/): ring gossip is one push-pull round; range transfer moves the data of
 * a join (the newcomer pulls) or a leave (the leaver pushes):
 *
 *     any node            random peer              joining node          old owner     leaving node       new owner
 *        | RingGossip       |                          | RangePull ranges,   |            | RangeBatch pushed |
 *        |----------------->| merges                   | after=cursor        |            |------------------>| stores
 *        | RingGossip reply |                          |-------------------->| scans      |     RangeAck      |
 *        |<-----------------| (what it holds newer)    |  RangeBatch more?   |            |<------------------|
 *        |                  |                          |<--------------------|            |  … next batch     |
 *        |                  |                          | … pull again from the last key   |                   |
 */
export const MESSAGE_MAGIC = 0xd1;

export type WriteOperation = 'put' | 'delete' | 'cas';
export type ReplyStatus = 'ok' | 'fail' | 'info';

export interface CoordinateMessage {
  type: 'coordinate';
  requestId: number;
  op: WriteOperation;
  key: Uint8Array;
  /** The new value; null for a delete. */
  value: Uint8Array | null;
  /** The causal context the client passed (empty = blind write). */
  context: Uint8Array;
  ttlMicros: number;
  w: number;
  /** For cas: the context the key's current version must equal. */
  expectedContext: Uint8Array | null;
}

/**
 * The entry node gave up on a forwarded write (its deadline passed and it answered its client "outcome
 * unknown"): the coordinator must not start it any more. Sent on the same link right after the timeout, so on
 * a FIFO link it arrives behind the write it cancels however long both waited (a paused or restarting peer).
 */
export interface CoordinateCancelMessage {
  type: 'coordinate-cancel';
  requestId: number;
}

export interface CoordinateReplyMessage {
  type: 'coordinate-reply';
  requestId: number;
  status: ReplyStatus;
  error: string;
  context: Uint8Array;
  acks: number;
  /** Versions the write left beside each other at the coordinator, when more than one (then no context); else 0. */
  siblings: number;
  /** The coordinator's machine-readable outcome (WriteResult's code), so the entry node need not read it off the text. */
  code: WriteCode;
}

/** The codes a coordinator answers a write with (core/node.ts WriteResult.code), in wire order. */
export const WRITE_CODES = ['ok', 'key-too-large', 'value-too-large', 'too-many-siblings', 'bad-request', 'conflict', 'quorum', 'unavailable'] as const;
export type WriteCode = (typeof WRITE_CODES)[number];

export interface ReplicaWriteMessage {
  type: 'replica-write';
  requestId: number;
  key: Uint8Array;
  siblings: Uint8Array;
  /** When non-empty, the receiver is a stand-in for this owner and must keep a durable hint. */
  hintFor: NodeId;
  ttlMicros: number;
}

export interface ReplicaWriteAckMessage {
  type: 'replica-write-ack';
  requestId: number;
  ok: boolean;
  error: string;
}

export interface ReplicaReadMessage {
  type: 'replica-read';
  requestId: number;
  key: Uint8Array;
}

export interface ReplicaReadReplyMessage {
  type: 'replica-read-reply';
  requestId: number;
  found: boolean;
  siblings: Uint8Array;
}

export interface HintDeliveryMessage {
  type: 'hint-delivery';
  requestId: number;
  key: Uint8Array;
  siblings: Uint8Array;
  ttlMicros: number;
}

/** Prefix scan (scatter-gather): "which keys starting with `prefix` do you hold live values for?" */
export interface KeyScanMessage {
  type: 'key-scan';
  requestId: number;
  prefix: Uint8Array;
  limit: number;
}

export interface KeyScanReplyMessage {
  type: 'key-scan-reply';
  requestId: number;
  /** The replica had more matching keys than `limit`. */
  truncated: boolean;
  keys: Uint8Array[];
}

/**
 * Anti-entropy: Merkle digests of some nodes at one tree level (see core/antientropy/merkle.ts). The receiver
 * compares them with its own tree and answers with the digests of the children of those that differ.
 */
export interface AeDigestsMessage {
  type: 'ae-digests';
  requestId: number;
  /** Sent by the side that started the exchange (the exchange is keyed by initiator and requestId). */
  fromInitiator: boolean;
  fanoutBits: number;
  depth: number;
  level: number;
  indices: number[];
  /** Two 32-bit lanes per index. */
  digests: Uint32Array;
}

/** Anti-entropy: the sender's sibling sets for its keys in `leaves` (leaves whose digests differ). */
export interface AeSetsMessage {
  type: 'ae-sets';
  requestId: number;
  fromInitiator: boolean;
  /** The answer to an earlier AeSets: nothing follows it. */
  last: boolean;
  /**
   * Set (true) only on an offer whose last leaf did not fit the byte budget: the sender's keys there are only
   * the run from that leaf's first entry to its last, in key byte order, wrapping past the leaf's greatest key
   * to its least (see core/antientropy/exchange.ts). Absent otherwise.
   */
  cut?: true;
  leaves: number[];
  entries: { key: Uint8Array; siblings: Uint8Array }[];
}

/** Ring gossip: the sender's member records (a push), or the records the receiver held newer (the reply). */
export interface RingGossipMessage {
  type: 'ring-gossip';
  requestId: number;
  reply: boolean;
  records: { id: NodeId; weight: number; status: 'joining' | 'active' | 'leaving' | 'left'; version: number }[];
}

/** Range transfer: "send me your sibling sets for keys in `ranges`, in key order after `after`, at most `limit`". */
export interface RangePullMessage {
  type: 'range-pull';
  requestId: number;
  after: Uint8Array;
  limit: number;
  ranges: { start: number; end: number }[];
}

/** Range transfer: a batch of sibling sets — the answer to a pull, or pushed by a leaving node (then acked). */
export interface RangeBatchMessage {
  type: 'range-batch';
  requestId: number;
  pushed: boolean;
  /** More keys may follow: pull (or push) again after `next`. */
  more: boolean;
  /** The last key the sender scanned (not necessarily sent: scans skip keys outside the ranges). */
  next: Uint8Array;
  entries: { key: Uint8Array; siblings: Uint8Array }[];
}

/** Range transfer: a pushed batch is stored durably. */
export interface RangeAckMessage {
  type: 'range-ack';
  requestId: number;
}

export type Message =
  | CoordinateMessage
  | CoordinateReplyMessage
  | ReplicaWriteMessage
  | ReplicaWriteAckMessage
  | ReplicaReadMessage
  | ReplicaReadReplyMessage
  | HintDeliveryMessage
  | KeyScanMessage
  | KeyScanReplyMessage
  | AeDigestsMessage
  | AeSetsMessage
  | RingGossipMessage
  | RangePullMessage
  | RangeBatchMessage
  | RangeAckMessage
  | CoordinateCancelMessage;

const TYPE_CODES = {
  coordinate: 1,
  'coordinate-reply': 2,
  'replica-write': 3,
  'replica-write-ack': 4,
  'replica-read': 5,
  'replica-read-reply': 6,
  'hint-delivery': 7,
  'key-scan': 8,
  'key-scan-reply': 9,
  'ae-digests': 10,
  'ae-sets': 11,
  'ring-gossip': 12,
  'range-pull': 13,
  'range-batch': 14,
  'range-ack': 15,
  'coordinate-cancel': 16,
} as const satisfies Record<Message['type'], number>;

const MEMBER_STATUSES = ['joining', 'active', 'leaving', 'left'] as const;
const OPS: WriteOperation[] = ['put', 'delete', 'cas'];
const STATUSES: ReplyStatus[] = ['ok', 'fail', 'info'];
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class MessageDecodeError extends Error {
  constructor(reason: string) {
    super(`malformed node message: ${reason}`);
    this.name = 'MessageDecodeError';
  }
}

/** Reused by every encode (encodeMessage never nests); each message is copied out of it into `messageSlab`. */
const scratch = new ByteWriter(4096);
const messageSlab = new Slab();

export function encodeMessage(message: Message): Uint8Array {
  const out = scratch;
  out.reset();
  out.u8(MESSAGE_MAGIC);
  out.u8(TYPE_CODES[message.type]);
  out.u32(message.requestId);
  switch (message.type) {
    case 'coordinate':
      out.u8(OPS.indexOf(message.op));
      writeBin(out, message.key);
      out.u8(message.value === null ? 0 : 1);
      writeBin(out, message.value ?? new Uint8Array(0));
      writeBin(out, message.context);
      out.u64(message.ttlMicros);
      out.u8(message.w);
      out.u8(message.expectedContext === null ? 0 : 1);
      writeBin(out, message.expectedContext ?? new Uint8Array(0));
      break;
    case 'coordinate-reply':
      out.u8(STATUSES.indexOf(message.status));
      writeStr(out, message.error);
      writeBin(out, message.context);
      out.u8(message.acks);
      out.u32(message.siblings);
      out.u8(WRITE_CODES.indexOf(message.code));
      break;
    case 'replica-write':
      writeBin(out, message.key);
      writeBin(out, message.siblings);
      writeStr(out, message.hintFor);
      out.u64(message.ttlMicros);
      break;
    case 'replica-write-ack':
      out.u8(message.ok ? 1 : 0);
      writeStr(out, message.error);
      break;
    case 'replica-read':
      writeBin(out, message.key);
      break;
    case 'replica-read-reply':
      out.u8(message.found ? 1 : 0);
      writeBin(out, message.siblings);
      break;
    case 'hint-delivery':
      writeBin(out, message.key);
      writeBin(out, message.siblings);
      out.u64(message.ttlMicros);
      break;
    case 'key-scan':
      writeBin(out, message.prefix);
      out.u32(message.limit);
      break;
    case 'key-scan-reply':
      out.u8(message.truncated ? 1 : 0);
      out.varint(message.keys.length);
      for (const key of message.keys) writeBin(out, key);
      break;
    case 'ae-digests':
      out.u8(message.fromInitiator ? 1 : 0);
      out.u8(message.fanoutBits);
      out.u8(message.depth);
      out.u8(message.level);
      out.varint(message.indices.length);
      for (let i = 0; i < message.indices.length; i++) {
        out.u32(message.indices[i]!);
        out.u32(message.digests[2 * i]!);
        out.u32(message.digests[2 * i + 1]!);
      }
      break;
    case 'ae-sets':
      out.u8(message.fromInitiator ? 1 : 0);
      // A flags byte that used to be the `last` flag alone: messages without a cut encode as before.
      out.u8((message.last ? 1 : 0) | (message.cut === true ? 2 : 0));
      out.varint(message.leaves.length);
      for (const leaf of message.leaves) out.u32(leaf);
      out.varint(message.entries.length);
      for (const entry of message.entries) {
        writeBin(out, entry.key);
        writeBin(out, entry.siblings);
      }
      break;
    case 'ring-gossip':
      out.u8(message.reply ? 1 : 0);
      out.varint(message.records.length);
      for (const record of message.records) {
        writeStr(out, record.id);
        writeStr(out, String(record.weight)); // exact round trip for any double, and weights are rare
        out.u8(MEMBER_STATUSES.indexOf(record.status));
        out.u32(record.version);
      }
      break;
    case 'range-pull':
      writeBin(out, message.after);
      out.u32(message.limit);
      out.varint(message.ranges.length);
      for (const range of message.ranges) {
        out.u32(range.start);
        out.u32(range.end);
      }
      break;
    case 'range-batch':
      out.u8(message.pushed ? 1 : 0);
      out.u8(message.more ? 1 : 0);
      writeBin(out, message.next);
      out.varint(message.entries.length);
      for (const entry of message.entries) {
        writeBin(out, entry.key);
        writeBin(out, entry.siblings);
      }
      break;
    case 'range-ack':
    case 'coordinate-cancel':
      break;
  }
  return messageSlab.copy(out.peek());
}

const EMPTY = new Uint8Array(0);

// Module-level helpers rather than per-call closures: this codec runs for every message of a 500-node
// simulation, and a closure per field per message is measurable garbage.
function writeBin(out: ByteWriter, data: Uint8Array): void {
  out.varint(data.length);
  out.bytes(data);
}

function writeStr(out: ByteWriter, text: string): void {
  writeBin(out, text.length === 0 ? EMPTY : encoder.encode(text));
}

/** A view into the received message (see decodeUnchecked for why that is safe). */
function readBin(input: ByteReader): Uint8Array {
  return input.bytes(input.varint());
}

function readStr(input: ByteReader): string {
  const length = input.varint();
  return length === 0 ? '' : shortText(input.bytes(length));
}

/** UTF-8 text that is usually short ASCII (node ids, short errors): built directly rather than through TextDecoder. */
export function shortText(raw: Uint8Array): string {
  if (raw.length <= 64) {
    let ascii = true;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, raw as unknown as number[]);
  }
  return decoder.decode(raw);
}

function readFlag(input: ByteReader): boolean {
  const value = input.u8();
  if (value > 1) throw new MessageDecodeError(`flag byte ${value} is not 0 or 1`);
  return value === 1;
}

export function decodeMessage(bytes: Uint8Array): Message {
  try {
    return decodeUnchecked(bytes);
  } catch (error) {
    if (error instanceof MessageDecodeError) throw error;
    throw new MessageDecodeError((error as Error).message);
  }
}

function decodeUnchecked(bytes: Uint8Array): Message {
  // No copy: every decoded byte field is a view into `bytes` itself. The transport contract
  // (core/env/transport.ts) gives the receiver a buffer nobody will write to again, and core never writes to a
  // decoded field, so a view is as safe as a private copy and saves a copy of every message.
  const input = new ByteReader(bytes);
  if (input.u8() !== MESSAGE_MAGIC) throw new MessageDecodeError('bad magic byte');
  const typeCode = input.u8();
  const requestId = input.u32();
  let message: Message;
  switch (typeCode) {
    case 1: {
      const op = OPS[input.u8()];
      if (op === undefined) throw new MessageDecodeError('unknown write operation');
      const key = readBin(input);
      const hasValue = readFlag(input);
      const value = readBin(input);
      const context = readBin(input);
      const ttlMicros = input.u64();
      const w = input.u8();
      const hasExpected = readFlag(input);
      const expected = readBin(input);
      message = { type: 'coordinate', requestId, op, key, value: hasValue ? value : null, context, ttlMicros, w, expectedContext: hasExpected ? expected : null };
      break;
    }
    case 2: {
      const status = STATUSES[input.u8()];
      if (status === undefined) throw new MessageDecodeError('unknown reply status');
      const error = readStr(input);
      const context = readBin(input);
      const acks = input.u8();
      const siblings = input.u32();
      const code = WRITE_CODES[input.u8()];
      if (code === undefined) throw new MessageDecodeError('unknown write result code');
      message = { type: 'coordinate-reply', requestId, status, error, context, acks, siblings, code };
      break;
    }
    case 3:
      message = { type: 'replica-write', requestId, key: readBin(input), siblings: readBin(input), hintFor: readStr(input), ttlMicros: input.u64() };
      break;
    case 4:
      message = { type: 'replica-write-ack', requestId, ok: readFlag(input), error: readStr(input) };
      break;
    case 5:
      message = { type: 'replica-read', requestId, key: readBin(input) };
      break;
    case 6:
      message = { type: 'replica-read-reply', requestId, found: readFlag(input), siblings: readBin(input) };
      break;
    case 7:
      message = { type: 'hint-delivery', requestId, key: readBin(input), siblings: readBin(input), ttlMicros: input.u64() };
      break;
    case 8:
      message = { type: 'key-scan', requestId, prefix: readBin(input), limit: input.u32() };
      break;
    case 9: {
      const truncated = readFlag(input);
      const count = input.varint();
      // Each key costs at least its length byte: a count beyond the remaining bytes is a lie, not a loop bound.
      if (count > input.remaining) throw new MessageDecodeError(`key-scan-reply claims ${count} keys in ${input.remaining} bytes`);
      const keys: Uint8Array[] = [];
      for (let i = 0; i < count; i++) keys.push(readBin(input));
      message = { type: 'key-scan-reply', requestId, truncated, keys };
      break;
    }
    case 10: {
      const fromInitiator = readFlag(input);
      const fanoutBits = input.u8();
      const depth = input.u8();
      const level = input.u8();
      const count = input.varint();
      if (count * 12 > input.remaining) throw new MessageDecodeError(`ae-digests claims ${count} digests in ${input.remaining} bytes`);
      const indices: number[] = new Array<number>(count);
      const digests = new Uint32Array(2 * count);
      for (let i = 0; i < count; i++) {
        indices[i] = input.u32();
        digests[2 * i] = input.u32();
        digests[2 * i + 1] = input.u32();
      }
      message = { type: 'ae-digests', requestId, fromInitiator, fanoutBits, depth, level, indices, digests };
      break;
    }
    case 11: {
      const fromInitiator = readFlag(input);
      const flags = input.u8();
      if (flags > 3) throw new MessageDecodeError(`ae-sets flags byte ${flags} has unknown bits`);
      const last = (flags & 1) !== 0;
      const leafCount = input.varint();
      if (leafCount * 4 > input.remaining) throw new MessageDecodeError(`ae-sets claims ${leafCount} leaves in ${input.remaining} bytes`);
      const leaves: number[] = [];
      for (let i = 0; i < leafCount; i++) leaves.push(input.u32());
      const count = input.varint();
      // Each entry costs at least its two length bytes.
      if (count * 2 > input.remaining) throw new MessageDecodeError(`ae-sets claims ${count} entries in ${input.remaining} bytes`);
      const entries: { key: Uint8Array; siblings: Uint8Array }[] = [];
      for (let i = 0; i < count; i++) entries.push({ key: readBin(input), siblings: readBin(input) });
      message = { type: 'ae-sets', requestId, fromInitiator, last, ...((flags & 2) !== 0 ? { cut: true as const } : {}), leaves, entries };
      break;
    }
    case 12: {
      const reply = readFlag(input);
      const count = input.varint();
      // Each record costs at least 7 bytes (two lengths, a status, a version).
      if (count * 7 > input.remaining) throw new MessageDecodeError(`ring-gossip claims ${count} records in ${input.remaining} bytes`);
      const records: RingGossipMessage['records'] = [];
      for (let i = 0; i < count; i++) {
        const id = readStr(input);
        const weight = Number(readStr(input));
        const status = MEMBER_STATUSES[input.u8()];
        if (status === undefined) throw new MessageDecodeError('unknown member status');
        if (!(weight > 0 && Number.isFinite(weight)) || id.length === 0) throw new MessageDecodeError(`bad member record '${id}' weight ${weight}`);
        records.push({ id, weight, status, version: input.u32() });
      }
      message = { type: 'ring-gossip', requestId, reply, records };
      break;
    }
    case 13: {
      const after = readBin(input);
      const limit = input.u32();
      const count = input.varint();
      if (count * 8 > input.remaining) throw new MessageDecodeError(`range-pull claims ${count} ranges in ${input.remaining} bytes`);
      const ranges: { start: number; end: number }[] = [];
      for (let i = 0; i < count; i++) ranges.push({ start: input.u32(), end: input.u32() });
      message = { type: 'range-pull', requestId, after, limit, ranges };
      break;
    }
    case 14: {
      const pushed = readFlag(input);
      const more = readFlag(input);
      const next = readBin(input);
      const count = input.varint();
      if (count * 2 > input.remaining) throw new MessageDecodeError(`range-batch claims ${count} entries in ${input.remaining} bytes`);
      const entries: { key: Uint8Array; siblings: Uint8Array }[] = [];
      for (let i = 0; i < count; i++) entries.push({ key: readBin(input), siblings: readBin(input) });
      message = { type: 'range-batch', requestId, pushed, more, next, entries };
      break;
    }
    case 15:
      message = { type: 'range-ack', requestId };
      break;
    case 16:
      message = { type: 'coordinate-cancel', requestId };
      break;
    default:
      throw new MessageDecodeError(`unknown message type ${typeCode}`);
  }
  if (input.remaining !== 0) throw new MessageDecodeError(`${input.remaining} trailing bytes after ${message.type}`);
  return message;
}
