import { ByteReader, ByteWriter } from './bytes';

/**
 * One versioned record, as it travels through WAL → memtable → SSTable → compaction.
 *
 * `seq` orders versions of a key (newest wins everywhere: memtable overwrite, the read path's first hit,
 * compaction's dedupe). `time` means different things per kind, which keeps the encoding to one layout:
 *   - put:    the expiry instant in local clock µs, or 0 for "never expires" (TTL);
 *   - delete: the instant of the delete, so compaction can tell when a tombstone's grace period is over.
 */
export const KIND_PUT = 1;
export const KIND_DELETE = 2;
export type EntryKind = typeof KIND_PUT | typeof KIND_DELETE;

export interface Entry {
  readonly key: Uint8Array;
  readonly seq: number;
  readonly kind: EntryKind;
  readonly time: number;
  readonly value: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** True when `entry` reads as "absent" at `nowMicros`: a tombstone, or a put whose TTL has run out. */
export function isInvisible(entry: Entry, nowMicros: number): boolean {
  return entry.kind === KIND_DELETE || (entry.time !== 0 && entry.time <= nowMicros);
}

/**
 * Encoding shared by WAL batches and SSTable data blocks:
 *
 *   kind u8 | seq u64 | time u64 | keyLength varint | key | valueLength varint | value
 */
export function encodeEntry(writer: ByteWriter, entry: Entry): void {
  writer.u8(entry.kind);
  writer.u64(entry.seq);
  writer.u64(entry.time);
  writer.varint(entry.key.length);
  writer.bytes(entry.key);
  writer.varint(entry.value.length);
  writer.bytes(entry.value);
}

/** Approximate encoded size, for memtable and block accounting. */
export function encodedSize(entry: Entry): number {
  return 17 + 5 + entry.key.length + 5 + entry.value.length;
}

/** Decodes one entry; key and value are views into the reader's buffer. Throws ShortReadError / RangeError. */
export function decodeEntry(reader: ByteReader): Entry {
  const kind = reader.u8();
  if (kind !== KIND_PUT && kind !== KIND_DELETE) throw new RangeError(`unknown entry kind ${kind}`);
  const seq = reader.u64();
  const time = reader.u64();
  const key = reader.bytes(reader.varint());
  const valueLength = reader.varint();
  const value = valueLength === 0 ? EMPTY : reader.bytes(valueLength);
  return { kind, seq, time, key, value };
}
