import type { Disk, DiskError } from '../env';
import { ByteReader, ByteWriter } from './bytes';
import { crc32, crc32c, type Checksum32 } from './crc';
import { decodeEntry, encodeEntry, type Entry } from './entry';
import { StorageCorruptionError } from './errors';
import type { WalCounters } from './stats';

/**
 * The write-ahead log: every write batch is appended here before it enters the memtable, and acknowledged
 * only once an fsync that started after the append has completed.
 *
 * ## Record format
 *
 *   +-------------+-------------+--------+--------------+-----------------------------------+------+
 *   | headerCrc   | length      | type   | payloadCrc   | batch, XORed with the keystream:  | 0xA5 |
 *   | u32 (CRC of | u32 (batch  | u8     | u32 CRC of   | first seq u64, count varint,      | end  |
 *   | length +    | + end byte) | 3      | the bytes    | count × entry                     | mark |
 *   | type)       |             |        | after it     |                                   |      |
 *   +-------------+-------------+--------+--------------+-----------------------------------+------+
 *    0             4             8        9              13                                  13+length
 *
 * Type 3 (written now): the batch is XORed with a fixed keystream (SCRAMBLE below) and followed by a non-zero
 * end mark, both under the payload CRC (CRC-32, IEEE, so real mode can use Node's native zlib.crc32; see
 * crc.ts). Why: recovery tells a torn tail from damage by sectors that read as zeros — a sector that never
 * reached the disk. Written data must therefore never read as a zero sector. Unscrambled, a value ending in
 * zeros did: one flipped bit elsewhere in the last record, and recovery took the acknowledged write for a torn
 * one and dropped it silently (found by a storage review). Scrambled, a full written sector reads as zeros with
 * probability 2^-4096, and the sector holding a record's end always holds the mark.
 * Older types, still replayed, never written: 2 = the batch in clear under CRC-32, 1 = in clear under CRC-32C.
 * The reader takes the type byte before the header verifies, picks the CRC by it, then verifies: a damaged
 * type either names no known record or selects a CRC under which the header fails.
 *
 * The header has its own checksum so a flipped bit in `length` cannot masquerade as a torn tail: a header
 * that verifies gives a trustworthy length, so "payload runs past end of file" really means the write was
 * cut short, while a header that does not verify with data still after it means the middle of the log is bad.
 *
 * ## Group commit
 *
 * `sync(done)` never starts a second fsync while one is in flight. Writers that arrive during an fsync wait
 * for the next one, which starts as soon as the current one returns and covers every byte appended so far —
 * so N concurrent writers cost about one fsync, not N. The first fsync of a new log file is followed by a
 * directory fsync, because a file's creation is only durable once its directory entry is. Given a `soon` hook,
 * an fsync that nothing else is waiting for starts at the end of the current turn rather than inline, so the
 * writes of one turn share it too (see sync).
 *
 * ## Coalesced appends (unsynced writes)
 *
 * Without syncWrites an acknowledgement means "the record is in the page cache" (appended, not fsynced): it
 * survives a process crash, not a power cut. Given a `soon` hook (run a callback once the current synchronous
 * work is done, before timers and I/O — Node's check phase in real mode), records appended in the same event-loop
 * turn are gathered into one buffer and reach the file in one `append` when the turn ends; `whenAppended`
 * acknowledges each writer only after the append that covers its record, so the meaning of an ack is
 * unchanged — it merely arrives one turn later, and 64 writers cost one write(2) instead of 64. Without the
 * hook each record is appended at once and acknowledged inline, as before.
 */
export const WAL_HEADER_BYTES = 13;
/** A batch record checksummed with CRC-32C (logs written before CRC-32 records; replayed, never written). */
const RECORD_BATCH_CRC32C = 1;
/** A batch record in clear, checksummed with CRC-32 (IEEE) (logs written before scrambled records; replayed, never written). */
const RECORD_BATCH = 2;
/** A scrambled batch record with an end mark, checksummed with CRC-32 (IEEE): what is written now. */
const RECORD_SCRAMBLED_BATCH = 3;
const END_MARK = 0xa5;

/**
 * XORs bytes [from, end) of `data` with a fixed keystream (xorshift32 from a constant seed, one word per 4
 * bytes), in place; applying it twice restores the bytes. Not secrecy: it only makes written data that reads
 * as an all-zero sector vanishingly unlikely (see the record format).
 */
export function scramble(data: Uint8Array, from: number, end: number): void {
  let x = 0x9e3779b9;
  let i = from;
  for (; i + 4 <= end; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = data[i]! ^ (x & 0xff);
    data[i + 1] = data[i + 1]! ^ ((x >>> 8) & 0xff);
    data[i + 2] = data[i + 2]! ^ ((x >>> 16) & 0xff);
    data[i + 3] = data[i + 3]! ^ (x >>> 24);
  }
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  for (let shift = 0; i < end; i++, shift += 8) data[i] = data[i]! ^ ((x >>> shift) & 0xff);
}

export type WalCallback = (error: DiskError | Error | null) => void;

/** Runs a callback after the current synchronous work, in a later turn of the same event loop (never inline). */
export type SoonHook = (callback: () => void) => void;

/** Coalesced records are appended early once this many bytes are waiting (bounds the buffer). */
const COALESCE_MAX_BYTES = 1 << 20;

export class WalWriter {
  private waiting: WalCallback[] = [];
  private idleWaiters: (() => void)[] = [];
  private inFlight = false;
  private directoryDurable: boolean;
  private readonly writer = new ByteWriter(4096);
  /**
   * With `bufferUntilSync`, records collect here and reach the file in one write just before the fsync that
   * covers them: a batch of 64 group-committed writers then costs one write(2) + one fsync instead of 64 + 1.
   * Nothing is acknowledged before that fsync, so holding the bytes in process memory loses nothing that was
   * promised. Without it (syncWrites false) each record is written at once, so an ack means "in the page cache".
   */
  private readonly pending = new ByteWriter(1 << 16);
  /** Coalescing: writers waiting for the append that covers their record, and whether it is scheduled. */
  private appendWaiters: WalCallback[] = [];
  private appendScheduled = false;
  /** The first failed append of buffered bytes: those records are lost, so every later ack reports it. */
  private appendError: Error | null = null;
  /**
   * Where an appended record goes: `direct` to the file at once; `buffered` into `pending` until the next sync;
   * `coalescing` into `pending` until the end of the turn (given a `soon` hook, without bufferUntilSync).
   */
  private readonly mode: 'direct' | 'buffered' | 'coalescing';
  private readonly soon: SoonHook | undefined;
  private syncScheduled = false;
  /** The first failed fsync of this log: reported to every later sync (see startSync). */
  private syncFailure: DiskError | Error | null = null;
  /** CRC-32 (IEEE) for records: core's own, or an identical native one (see crc.ts). */
  private readonly crc32: Checksum32;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
    readonly fileNumber: number,
    /** Shared across the engine's successive logs, so figures survive log rotation. */
    private readonly counters: WalCounters,
    options: { directoryDurable: boolean; bufferUntilSync: boolean; soon?: SoonHook | undefined; crc32?: Checksum32 | undefined },
  ) {
    this.crc32 = options.crc32 ?? crc32;
    this.directoryDurable = options.directoryDurable;
    this.soon = options.soon;
    this.mode = options.bufferUntilSync ? 'buffered' : this.soon === undefined ? 'direct' : 'coalescing';
  }

  /**
   * Creates a fresh, empty log file. Its directory entry is made durable by the first sync. `soon` enables
   * coalesced appends when not buffering until sync (see the class comment), and end-of-turn fsyncs when
   * buffering (see sync).
   */
  static create(disk: Disk, name: string, fileNumber: number, counters: WalCounters, bufferUntilSync: boolean, soon?: SoonHook, checksum?: Checksum32): WalWriter {
    disk.create(name);
    return new WalWriter(disk, name, fileNumber, counters, { directoryDurable: false, bufferUntilSync, soon, crc32: checksum });
  }

  /** Whether an appended record is acknowledged through whenAppended (one turn later) rather than at once. */
  get coalescing(): boolean {
    return this.mode === 'coalescing';
  }

  /**
   * Appends one batch record: to the page cache at once, or — when buffering until sync or coalescing — to
   * the in-process buffer that the next sync or end of turn writes out. Throws DiskError on an immediate
   * append's failure.
   */
  appendBatch(firstSeq: number, entries: readonly Entry[]): number {
    const direct = this.mode === 'direct';
    // Buffered records are encoded straight into the pending buffer, after what is already there.
    const w = direct ? this.writer : this.pending;
    if (direct) w.reset();
    const start = w.length;
    for (let i = 0; i < WAL_HEADER_BYTES; i++) w.u8(0);
    w.u64(firstSeq);
    w.varint(entries.length);
    for (const entry of entries) encodeEntry(w, entry);
    w.u8(0); // the end mark's place: written after scrambling
    const end = w.length;
    w.patchU32(start + 4, end - start - WAL_HEADER_BYTES);
    const buffer = w.peek();
    scramble(buffer, start + WAL_HEADER_BYTES, end - 1);
    buffer[end - 1] = END_MARK;
    buffer[start + 8] = RECORD_SCRAMBLED_BATCH;
    w.patchU32(start, this.crc32(buffer, start + 4, start + 9));
    w.patchU32(start + 9, this.crc32(buffer, start + WAL_HEADER_BYTES, end));
    if (direct) this.disk.append(this.name, buffer);
    else if (this.mode === 'coalescing' && this.pending.length >= COALESCE_MAX_BYTES) this.appendPending();
    this.counters.bytesWritten += end - start;
    return end - start;
  }

  /**
   * Coalescing only: calls `done` (never inline) once every record appended so far has been appended to the
   * file — with the append's error if it failed.
   */
  whenAppended(done: WalCallback): void {
    this.appendWaiters.push(done);
    if (this.appendScheduled) return;
    this.appendScheduled = true;
    this.soon!(() => this.finishTurn());
  }

  /** End of a turn: one append for every record buffered during it, then the acknowledgements. */
  private finishTurn(): void {
    this.appendScheduled = false;
    const waiters = this.appendWaiters;
    this.appendWaiters = [];
    this.appendPending();
    const error = this.appendError;
    for (const done of waiters) done(error);
    if (!this.syncInFlight) for (const idle of this.idleWaiters.splice(0)) idle();
  }

  /** Writes the buffered records to the file; a failure is kept and reported to every waiting writer. */
  private appendPending(): void {
    if (this.pending.length === 0) return;
    const bytes = this.pending.peek();
    this.pending.reset();
    if (this.appendError !== null) return;
    try {
      this.disk.append(this.name, bytes);
    } catch (error) {
      this.appendError = error as Error;
    }
  }

  get syncInFlight(): boolean {
    return this.inFlight || this.waiting.length > 0 || this.appendScheduled;
  }

  /** Calls `done` once every byte appended before this call is durable (group commit; see above). */
  sync(done: WalCallback): void {
    this.waiting.push(done);
    if (this.inFlight || this.syncScheduled) return;
    this.startSyncSoon();
  }

  /**
   * Buffering until sync, with a `soon` hook: the fsync starts at the end of the turn, not at once, so every
   * write made in the same turn (in real mode: every request and replica message read in one poll of the
   * sockets) shares it. Otherwise the first write of a turn started an fsync alone and the rest waited for a
   * second one — two fsyncs, and on the 2-core VM each async fsync costs ~25 µs of event-loop time and ~100 µs
   * of kernel time (a virtio request and its interrupt) all told.
   */
  private startSyncSoon(): void {
    if (this.mode !== 'buffered' || this.soon === undefined) return this.startSync();
    this.syncScheduled = true;
    this.soon(() => {
      this.syncScheduled = false;
      if (!this.inFlight && this.waiting.length > 0) this.startSync();
    });
  }

  private startSync(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.inFlight = true;
    this.counters.syncs++;
    this.counters.syncedWrites += batch.length;
    const finish = (error: DiskError | Error | null): void => {
      if (error !== null && this.syncFailure === null) this.syncFailure = error;
      // Still "in flight" while acknowledging: writers that react to their ack by writing again join the
      // waiting batch instead of each starting a one-write fsync — that is what keeps batches large.
      for (const callback of batch) callback(error);
      this.inFlight = false;
      // The next fsync waits for the end of this turn too: the completion runs among the turn's socket reads,
      // and the writes those reads make should join it rather than wait for the one after.
      if (this.waiting.length > 0) this.startSyncSoon();
      else if (!this.appendScheduled) for (const idle of this.idleWaiters.splice(0)) idle();
    };
    if (this.syncFailure !== null) {
      // Once an fsync of this log has failed, no later one can vouch for it: the kernel may have dropped the
      // pages it could not write and report success next time ("fsyncgate"), leaving a hole before records a
      // later fsync would claim. Every later writer gets the first failure, never an acknowledgement.
      finish(this.syncFailure);
      return;
    }
    try {
      this.appendPending();
      if (this.appendError !== null) throw this.appendError;
      this.disk.sync(this.name, (error) => {
        if (error !== null || this.directoryDurable) return finish(error);
        this.disk.syncDirectory((dirError) => {
          if (dirError === null) this.directoryDurable = true;
          finish(dirError);
        });
      });
    } catch (error) {
      // A synchronous failure (e.g. the file is gone) is reported like a failed fsync, never thrown at a writer.
      // Delivered through the next sync attempt's path would hide it; delivering inline is safe because
      // `sync` callers never hold state across the call.
      finish(error as DiskError);
    }
  }

  /** Calls back once no fsync is running or waiting on this log (before the engine deletes the file). */
  whenIdle(callback: () => void): void {
    if (!this.syncInFlight) callback();
    else this.idleWaiters.push(callback);
  }
}

export interface WalBatch {
  readonly firstSeq: number;
  readonly entries: Entry[];
}

export interface WalReplay {
  batches: WalBatch[];
  /** Bytes after the last good record that were dropped as a torn tail (0 for a clean log). */
  droppedTailBytes: number;
  /** Offset just past the last good record. */
  validBytes: number;
}

/**
 * Reads a whole log file. Accepts a torn tail — an incomplete header, a payload cut short, a final record whose
 * payload checksum fails and which holds a zero-filled sector (one that never reached the disk), or a record
 * from one of whose sectors the rest of the file is zeros (a group commit whose write-back stopped part way) —
 * and reports how many bytes it dropped. (A value that is itself zeros where a sector fails to be written, plus
 * a second fault, can make damage look torn; sectors are not checksummed one by one.) A final record that fails its checksum with
 * every sector written is damage, not a torn write (sectors are written whole): refused like any other, for it
 * may be an acknowledged write (found by a storage review: one flipped bit in the last record dropped an
 * acknowledged write as "torn", and the flush after recovery deleted the log). Anything else that fails to verify is corruption in the middle of the log
 * and raises StorageCorruptionError naming the file and offset: replaying past it could silently drop or
 * reorder acknowledged writes.
 */
export function readWal(disk: Disk, name: string, crc32Implementation: Checksum32 = crc32): WalReplay {
  const data = disk.readAll(name);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const batches: WalBatch[] = [];
  let offset = 0;
  const torn = (): WalReplay => ({ batches, droppedTailBytes: data.length - offset, validBytes: offset });
  while (offset < data.length) {
    if (data.length - offset < WAL_HEADER_BYTES) {
      return torn();
    }
    const headerCrc = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    const type = data[offset + 8]!;
    const checksum = type === RECORD_BATCH_CRC32C ? crc32c : crc32Implementation;
    if (checksum(data, offset + 4, offset + 9) !== headerCrc) {
      // A zero-filled tail (preallocated or torn at a sector boundary) is a torn tail, not corruption — also when
      // the boundary falls inside this header, its first bytes written and the rest never (found by a review:
      // a header straddling two sectors, the second never written back, was refused as corruption).
      if (allZero(data, offset) || zeroTailStartsWithin(data, offset, offset + WAL_HEADER_BYTES)) return torn();
      throw walCorruption(name, offset, 'WAL record header checksum mismatch');
    }
    const end = offset + WAL_HEADER_BYTES + length;
    if (end > data.length) return torn();
    const payloadCrc = view.getUint32(offset + 9, true);
    if (checksum(data, offset + WAL_HEADER_BYTES, end) !== payloadCrc) {
      // Torn: the last record with a sector that never reached the disk, or a record from one of whose sectors
      // on the whole rest of the file is zeros (a group commit of several records whose write-back stopped part
      // way: found by a real-mode review, where a node refused to restart after its disk filled).
      if ((end === data.length && holdsUnwrittenSector(data, offset + WAL_HEADER_BYTES, end)) || zeroTailStartsWithin(data, offset + WAL_HEADER_BYTES, end)) return torn();
      throw walCorruption(
        name,
        offset,
        end === data.length ? 'WAL record payload checksum mismatch in the last record, every sector of it written (damage, not an interrupted write)' : 'WAL record payload checksum mismatch',
      );
    }
    if (type !== RECORD_SCRAMBLED_BATCH && type !== RECORD_BATCH && type !== RECORD_BATCH_CRC32C) throw walCorruption(name, offset, `unknown WAL record type ${type}`);
    try {
      let reader: ByteReader;
      if (type === RECORD_SCRAMBLED_BATCH) {
        if (length < 1 || data[end - 1] !== END_MARK) throw new RangeError('end mark missing');
        const batch = data.slice(offset + WAL_HEADER_BYTES, end - 1); // a copy: readAll's bytes are not ours to change
        scramble(batch, 0, batch.length);
        reader = new ByteReader(batch);
      } else {
        reader = new ByteReader(data, offset + WAL_HEADER_BYTES, end);
      }
      const firstSeq = reader.u64();
      const count = reader.varint();
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const e = decodeEntry(reader);
        // Copy out of the file buffer so the memtable does not pin the whole log in memory.
        entries.push({ ...e, key: e.key.slice(), value: e.value.slice() });
      }
      if (reader.remaining !== 0) throw new RangeError('trailing bytes in batch');
      batches.push({ firstSeq, entries });
    } catch (error) {
      if (error instanceof StorageCorruptionError) throw error;
      throw walCorruption(name, offset, `malformed WAL batch despite valid checksum: ${(error as Error).message}`);
    }
    offset = end;
  }
  return { batches, droppedTailBytes: 0, validBytes: offset };
}

/**
 * Damage in the middle of a log, with what an operator can do about it. Every such error says the same (found by
 * a review: only the payload checksum mismatch gave the remedy; a bad header, an unknown record type and a
 * malformed batch named file and offset and stopped there).
 */
function walCorruption(name: string, offset: number, what: string): StorageCorruptionError {
  return new StorageCorruptionError(
    name,
    offset,
    `${what}; the log cannot be replayed past this point. Restore the data directory from a backup; or, where other replicas hold the data (N > 1), move it aside to start this replica empty and let its peers repair it, or truncate '${name}' to ${offset} bytes to keep what precedes this record (the acknowledged writes after it survive only on other replicas)`,
  );
}

/** Disk sectors are written whole: a torn write leaves whole sectors unwritten, which read as zeros. */
const SECTOR_BYTES = 512;

/** Whether some sector starting within [from, end) is all zeros up to its end or `end` (a sector never written). */
function holdsUnwrittenSector(data: Uint8Array, from: number, end: number): boolean {
  for (let start = Math.ceil(from / SECTOR_BYTES) * SECTOR_BYTES; start < end; start += SECTOR_BYTES) {
    let zero = true;
    for (let i = start; i < Math.min(start + SECTOR_BYTES, end) && zero; i++) zero = data[i] === 0;
    if (zero) return true;
  }
  return false;
}

/**
 * Whether the file is all zeros from some sector boundary in [from, end) to its end: the rest of the file never
 * reached the disk, starting inside this record.
 */
function zeroTailStartsWithin(data: Uint8Array, from: number, end: number): boolean {
  let last = data.length - 1;
  while (last >= from && data[last] === 0) last--;
  const firstZeroSector = Math.max(Math.ceil((last + 1) / SECTOR_BYTES), Math.ceil(from / SECTOR_BYTES)) * SECTOR_BYTES;
  return firstZeroSector < end;
}

function allZero(data: Uint8Array, from: number): boolean {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
