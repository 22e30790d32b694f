import type { Clock, Disk, TimerId } from '../env';
import { BlockCache } from './block-cache';
import { bloomHash } from './bloom';
import { compareBytes, hasPrefix, prefixEnd } from './bytes';
import { crc32, type Checksum32 } from './crc';
import { isBottommost, pickCompaction, planFullCompaction, type CompactionPlan, type PickerOptions } from './compaction-picker';
import { isInvisible, KIND_DELETE, KIND_PUT, type Entry } from './entry';
import { StorageClosedError, StorageCorruptionError, StorageInputError, WriteOutcomeUnknownError } from './errors';
import {
  emptyManifest,
  ManifestWriter,
  MANIFEST_FILE,
  MANIFEST_TEMP_FILE,
  readManifest,
  type ManifestState,
} from './manifest';
import { Memtable } from './memtable';
import { SlotMap } from '../slot-map';
import { MergingCursor, type EntryCursor } from './merge';
import { LevelCursor } from './level-cursor';
import { resolveOptions, type StorageOptions } from './options';
import { ReadScratch, TableReader, type DataBlock, type TableCursor } from './sstable-reader';
import { TableBuilder } from './sstable-writer';
import { computeStats, type EngineCounters, type StorageStats, type WalCounters } from './stats';
import { parseFileName, tableFileName, walFileName, type TableMeta } from './table-meta';
import { Slab } from '../slab';
import { buildLevels, checkLevels, firstTableReaching } from './version';
import { readWal, WalWriter, type SoonHook } from './wal';
import { WritebackPacer } from './writeback-pacer';

/**
 * The LSM storage engine: WAL + memtable + SSTables + manifest + background flush and compaction.
 *
 * ## Threading model
 * Everything runs on the caller's event loop (the simulator's or Node's). Reads are synchronous. Writes
 * append to the WAL and insert into the memtable synchronously, then acknowledge through a callback after
 * the group-committed fsync (or, with syncWrites false, once the record is appended to the page cache: at once
 * — `done` may run before `put` returns — or, given the environment's `soon` hook, one turn later after the
 * append that covers every write of the turn).
 * Flush and compaction are chopped into steps of ~backgroundStepBytes run from zero-delay timers, so writes
 * and reads interleave with them; only manifest installs and fsyncs are waited on.
 *
 * ## Opening
 * `StorageEngine.open` is synchronous: it reads the manifest, deletes orphan files, replays the WAL into a
 * memtable (which is then flushed in the background) and returns. It throws StorageCorruptionError if the
 * manifest or a WAL record in the middle of a log fails to verify; a torn WAL tail is accepted and reported in
 * `engine.recovery.droppedWalBytes`. Replayed records are served at once, but no new write is acknowledged until
 * the replayed logs have been fsynced (see syncReplayedLogs).
 *
 * ## Errors
 * Invalid arguments throw StorageInputError synchronously. A failed WAL fsync or manifest install puts the
 * engine into a failed state: the failing writes and every later write get the error (retrying an fsync after
 * failure is unsafe — the kernel may have dropped the dirty pages). Reads that meet a block that fails its
 * checksum throw StorageCorruptionError; they never return unverified bytes.
 */
export type WriteCallback = (error: Error | null) => void;

export type WriteOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array; readonly ttlMicros?: number }
  | { readonly type: 'delete'; readonly key: Uint8Array };

export type ScanRange = { readonly prefix: Uint8Array } | { readonly start?: Uint8Array; readonly end?: Uint8Array };

export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface StorageEnvironment {
  disk: Disk;
  clock: Clock;
  options?: Partial<StorageOptions>;
  /**
   * Optional: runs a callback once the current synchronous work is done, in a later turn of the same event
   * loop (real mode: Node's check-phase callback; simulator: a zero-delay timer). With it, unsynced writes (syncWrites false)
   * made in the same turn share one WAL append and are acknowledged after it, one turn later (see wal.ts);
   * durable writes (syncWrites true) made in the same turn share one fsync, started at the end of the turn.
   * Without it each unsynced write is appended on its own and acknowledged inline, and a durable write with
   * no fsync in flight starts one at once.
   */
  soon?: SoonHook;
  /**
   * Optional: a faster CRC-32 (IEEE) for SSTable blocks — real mode passes node:zlib's native one. It must
   * return exactly what core's `crc32` (crc.ts) returns for every input; without it that one is used.
   */
  crc32?: Checksum32;
}

export interface RecoveryReport {
  walFilesReplayed: number;
  walRecordsReplayed: number;
  /** Bytes dropped from torn WAL tails (writes never acknowledged, or acknowledged only without syncWrites). */
  droppedWalBytes: number;
  orphanFilesRemoved: string[];
}

/** An entry while its write is in flight: the engine numbers it in place once the write is applied. */
type MutableEntry = { -readonly [K in keyof Entry]: Entry[K] };

interface PendingWrite {
  readonly entries: MutableEntry[];
  readonly done: WriteCallback;
}

export class StorageEngine {
  readonly options: StorageOptions;
  private readonly disk: Disk;
  private readonly clock: Clock;
  private readonly soon: SoonHook | undefined;
  private readonly crc32: Checksum32;
  private readonly manifest: ManifestWriter;
  private readonly cache: BlockCache<DataBlock>;
  /** Shared by every reader: gets whose block is not cached read it here (see TableReader.find). */
  private readonly scratch = new ReadScratch();
  /**
   * Copies of values handed out by `get`: a get must return a copy (the entry may sit in the read scratch
   * buffer or a cached block), and one allocation per value was ~0.5 µs of a ~5 µs point read. Chunks are
   * 64 KiB: with 16 KiB ones, allocating and zeroing a chunk every ~15 gets of 1 KiB values was ~4 % of a
   * random get. A kept value pins at most its chunk; values over 4 KiB get their own buffer.
   */
  private readonly valueCopies = new Slab(64 * 1024, 4 * 1024);
  private readonly readers = new Map<number, TableReader>();
  private readonly pickerOptions: PickerOptions;
  private levels: TableMeta[][];
  private active: Memtable;
  private wal: WalWriter;
  /** Full memtables waiting for flush, oldest first. */
  private readonly immutables: Memtable[] = [];
  /** WAL file numbers that may still hold unflushed writes. */
  private liveWals: number[];
  /** Writers of logs created by this engine instance, so a log is deleted only once its fsyncs are done. */
  private readonly walWriters = new Map<number, WalWriter>();
  private lastSeq: number;
  private nextFileNumber: number;
  /** The memtables' arena chunk size (see memtableChunkBytes). */
  private readonly memtableChunkBytes: number;
  private flushing = false;
  private compacting = false;
  /** Writes queued behind a memtable stall, FIFO. A head index, not Array.shift, keeps draining O(n). */
  private stalled: PendingWrite[] = [];
  /** Background steps waiting out a duty-cycle pause (see deferStep), by timer. */
  private readonly pausedSteps = new SlotMap<() => void>();
  private stalledHead = 0;
  /** Memtables sealed so far (including a replayed one) and flushed so far; flush() waits for the first to catch up. */
  private sealedCount = 0;
  private flushedCount = 0;
  private flushWaiters: { upTo: number; done: WriteCallback }[] = [];
  private manualCompactionWaiters: WriteCallback[] = [];
  private idleWaiters: WriteCallback[] = [];
  private idleCheckPending = false;
  private readonly walCounters: WalCounters = { bytesWritten: 0, syncs: 0, syncedWrites: 0 };
  private readonly timers = new SlotMap<true>();
  private failure: Error | null = null;
  /** A corruption met by background compaction: compaction stops, reads of healthy tables continue. */
  private backgroundError: Error | null = null;
  private closed = false;
  /**
   * Acknowledgements waiting for the logs replayed at open to be durable (see syncReplayedLogs); null once they
   * are, or when nothing was replayed.
   */
  private replayWaiters: (() => void)[] | null = null;
  /** The first error making the replayed logs durable: the engine has failed with it. */
  private replayError: Error | null = null;
  /** close() has been called: writes still stalled are refused, never applied behind close's last fsyncs. */
  private closing = false;
  readonly recovery: RecoveryReport;
  private readonly counters: EngineCounters = {
    userBytesWritten: 0,
    writes: 0,
    flushBytesWritten: 0,
    compactionBytesWritten: 0,
    compactionBytesRead: 0,
    gets: 0,
    tablesProbed: 0,
    bloomNegatives: 0,
    bloomFalsePositives: 0,
    bloomTruePositives: 0,
    flushes: 0,
    compactions: 0,
    trivialMoves: 0,
    writeStalls: 0,
  };

  private constructor(env: StorageEnvironment, options: StorageOptions, state: ManifestState, recovery: RecoveryReport, replayed: Memtable | null, liveWals: number[], lastSeq: number, nextFileNumber: number) {
    this.disk = env.disk;
    this.clock = env.clock;
    this.soon = env.soon;
    this.crc32 = env.crc32 ?? crc32;
    this.options = options;
    this.recovery = recovery;
    this.pickerOptions = {
      strategy: options.compaction,
      maxLevels: options.maxLevels,
      l0CompactionTrigger: options.l0CompactionTrigger,
      levelBaseBytes: options.levelBaseBytes,
      levelSizeMultiplier: options.levelSizeMultiplier,
      targetFileBytes: options.targetFileBytes,
      tieredMinThreshold: options.tieredMinThreshold,
      tieredMaxThreshold: options.tieredMaxThreshold,
      tieredSmallRunBytes: options.tieredSmallRunBytes,
    };
    this.manifest = new ManifestWriter(this.disk, state);
    this.cache = new BlockCache(options.blockCacheBytes);
    this.levels = buildLevels(state.tables, options.maxLevels);
    checkLevels(this.levels, options.compaction);
    this.lastSeq = lastSeq;
    this.nextFileNumber = nextFileNumber;
    this.memtableChunkBytes = memtableChunkBytes(options);
    this.liveWals = liveWals;
    if (liveWals.length > 0) this.syncReplayedLogs([...liveWals]);
    const walNumber = this.nextFileNumber++;
    this.wal = WalWriter.create(this.disk, walFileName(walNumber), walNumber, this.walCounters, this.options.syncWrites, this.soon, this.crc32);
    this.walWriters.set(walNumber, this.wal);
    this.liveWals.push(walNumber);
    this.active = new Memtable(walNumber, this.memtableChunkBytes);
    if (replayed !== null && !replayed.isEmpty) {
      this.immutables.push(replayed);
      this.sealedCount++;
      this.scheduleFlush();
    } else {
      this.scheduleCompaction();
    }
  }

  /** Opens (or creates) the store on `disk`; synchronous recovery, see the class comment. */
  static open(env: StorageEnvironment): StorageEngine {
    const options = resolveOptions(env.options);
    const disk = env.disk;
    const manifest = readManifest(disk);
    const state = manifest ?? emptyManifest(options.compaction);
    // The directory is read once: the names with their parsed numbers, checked before anything is removed.
    const files = disk.list().map((name) => ({ name, parsed: parseFileName(name) }));
    checkFilesAgainstManifest(files, manifest);
    if (state.strategy !== options.compaction) {
      throw new StorageInputError(
        `this store was created with '${state.strategy}' compaction; reopen it with compaction: '${state.strategy}'`,
      );
    }
    const live = new Set(state.tables.map((t) => t.fileNumber));
    const recovery: RecoveryReport = { walFilesReplayed: 0, walRecordsReplayed: 0, droppedWalBytes: 0, orphanFilesRemoved: [] };
    let maxNumber = 0;
    const wals: number[] = [];
    for (const { name, parsed } of files) {
      if (name === MANIFEST_TEMP_FILE) {
        disk.remove(name);
        recovery.orphanFilesRemoved.push(name);
        continue;
      }
      if (parsed === undefined) continue;
      maxNumber = Math.max(maxNumber, parsed.fileNumber);
      const orphan = parsed.kind === 'sst' ? !live.has(parsed.fileNumber) : parsed.fileNumber < state.logNumber;
      if (orphan) {
        disk.remove(name);
        recovery.orphanFilesRemoved.push(name);
      } else if (parsed.kind === 'log') {
        wals.push(parsed.fileNumber);
      }
    }
    let lastSeq = state.lastSequence;
    for (const table of state.tables) {
      const name = tableFileName(table.fileNumber);
      if (!disk.exists(name)) {
        throw new StorageCorruptionError('MANIFEST', 0, `table ${name} named by the manifest is missing`);
      }
      // A table is written whole and synced before the manifest names it: another size means it was cut short
      // or replaced since (found by a review: a half-truncated table was accepted and failed read by read).
      const size = disk.size(name);
      if (size !== table.size) {
        throw new StorageCorruptionError(name, 0, `table is ${size} bytes, but the manifest recorded ${table.size} when it was written (truncated or replaced)`);
      }
      lastSeq = Math.max(lastSeq, table.maxSeq);
    }
    wals.sort((a, b) => a - b);
    const replayed = new Memtable(wals[0] ?? state.logNumber, memtableChunkBytes(options));
    for (const number of wals) {
      const replay = readWal(disk, walFileName(number), env.crc32);
      recovery.walFilesReplayed++;
      recovery.droppedWalBytes += replay.droppedTailBytes;
      for (const batch of replay.batches) {
        recovery.walRecordsReplayed++;
        for (const entry of batch.entries) {
          // Older logs can overlap flushed tables only for sequence numbers the manifest already covers;
          // applying them again is harmless (same key, same seq), and newer ones must win — they do, by seq.
          replayed.apply(entry);
          lastSeq = Math.max(lastSeq, entry.seq);
        }
      }
    }
    const nextFileNumber = Math.max(state.nextFileNumber, maxNumber + 1);
    return new StorageEngine(env, options, state, recovery, replayed, wals, lastSeq, nextFileNumber);
  }

  /**
   * Makes the logs replayed at open durable, and holds every new acknowledgement until they are.
   *
   * Why (found by a review): a process crash keeps the page cache, so a replayed record may never have been
   * fsynced — its fsync was still in flight when the process died — or its log's directory entry never synced.
   * Open serves such records at once. Had a new write been acknowledged before they were durable, a power loss
   * could keep the new write and lose a replayed value that reads had already returned as current: history
   * with a hole. (Reads of replayed data before this completes are fine: the engine serves applied,
   * not-yet-durable writes anyway; what must not happen is an acknowledgement that outruns them.)
   *
   * Why this way: it is the simplest correct choice. Open stays synchronous and writes still apply at once;
   * only their callbacks wait, for one fsync per replayed log and one of the directory, all started here and
   * running beside the new log's own first fsync. The alternative — flush the replayed memtable to a durable
   * table before taking writes (LevelDB) — would make open asynchronous or stall writes behind a whole flush.
   * A failure fails the engine; acknowledgements held behind it report their outcome unknown (they are applied).
   */
  private syncReplayedLogs(numbers: number[]): void {
    this.replayWaiters = [];
    let remaining = numbers.length + 1;
    const synced = (error: Error | null): void => {
      if (error !== null && this.replayError === null) this.replayError = error;
      if (--remaining > 0) return;
      const waiters = this.replayWaiters ?? [];
      this.replayWaiters = null;
      if (this.replayError !== null) this.fail(this.replayError);
      for (const waiter of waiters) waiter();
    };
    for (const number of numbers) {
      try {
        this.disk.sync(walFileName(number), synced);
      } catch (error) {
        synced(error as Error);
      }
    }
    try {
      this.disk.syncDirectory(synced);
    } catch (error) {
      synced(error as Error);
    }
  }

  /** Runs `callback` once the logs replayed at open are durable (at once if they are; see syncReplayedLogs). */
  private whenReplayDurable(callback: () => void): void {
    if (this.replayWaiters === null) callback();
    else this.replayWaiters.push(callback);
  }

  /** `done`, held until the replayed logs are durable when it acknowledges a write (errors pass at once). */
  private afterReplayDurable(done: WriteCallback): WriteCallback {
    return (error) => {
      if (error !== null) return done(error);
      this.whenReplayDurable(() => done(this.replayError === null ? null : new WriteOutcomeUnknownError(this.replayError)));
    };
  }

  // ───────────────────────────── writes ─────────────────────────────

  put(key: Uint8Array, value: Uint8Array, options: { ttlMicros?: number } | undefined, done: WriteCallback): void {
    const op: WriteOp = options?.ttlMicros === undefined ? { type: 'put', key, value } : { type: 'put', key, value, ttlMicros: options.ttlMicros };
    this.writeBatch([op], done);
  }

  delete(key: Uint8Array, done: WriteCallback): void {
    this.writeBatch([{ type: 'delete', key }], done);
  }

  /**
   * Applies `ops` atomically (one WAL record: after a crash either all are present or none). The caller may
   * reuse its buffers once this returns: an applied write is encoded into the WAL and copied into the memtable's
   * arena at once, and a write that must wait (a stall) is copied before it queues — unless `transfer` is true:
   * the caller hands the buffers over and promises never to modify them again (saves that copy).
   */
  writeBatch(ops: readonly WriteOp[], done: WriteCallback, transfer = false): void {
    this.assertOpen('write');
    if (ops.length === 0) throw new StorageInputError('writeBatch needs at least one operation');
    // Read lazily: only TTLs and tombstones need the time (on the real clock a reading is not free).
    let now = -1;
    const entries: MutableEntry[] = [];
    for (const op of ops) {
      this.validateKey(op.key);
      if (op.type === 'put') {
        if (op.value.length > this.options.maxValueBytes) {
          throw new StorageInputError(`value of ${op.value.length} bytes exceeds maxValueBytes ${this.options.maxValueBytes}`);
        }
        let time = 0;
        if (op.ttlMicros !== undefined) {
          if (!(op.ttlMicros > 0) || !Number.isFinite(op.ttlMicros)) throw new StorageInputError(`ttlMicros must be a positive finite number, got ${op.ttlMicros}`);
          if (now < 0) now = this.clock.nowMicros();
          time = Math.max(1, now + Math.ceil(op.ttlMicros));
          // The expiry is stored as a u64 of whole µs through doubles: past 2^53 it would not round-trip, and the
          // codec kept only its low bits — acknowledged, then expired at once after a WAL replay or a flush
          // (found by a storage review, with ttlMicros = 2^64).
          if (time > Number.MAX_SAFE_INTEGER) {
            throw new StorageInputError(`ttlMicros ${op.ttlMicros} puts the expiry past ${Number.MAX_SAFE_INTEGER} µs (about 285 years of clock time); give a shorter TTL`);
          }
        }
        entries.push({ kind: KIND_PUT, seq: 0, time, key: op.key, value: op.value });
      } else if (op.type === 'delete') {
        if (now < 0) now = this.clock.nowMicros();
        entries.push({ kind: KIND_DELETE, seq: 0, time: Math.max(0, now), key: op.key, value: new Uint8Array(0) });
      } else {
        throw new StorageInputError(`unknown write op type '${String((op as { type: unknown }).type)}'`);
      }
    }
    if (this.failure !== null) {
      const failure = this.failure;
      this.defer(() => done(failure));
      return;
    }
    if (this.hasStalledWrites || this.immutables.length >= this.options.maxImmutableMemtables) {
      this.counters.writeStalls++;
      // Queued past this call: the caller may reuse its buffers, so the queue keeps copies.
      if (!transfer) for (const entry of entries) {
        entry.key = entry.key.slice();
        entry.value = entry.value.slice();
      }
      this.stalled.push({ entries, done });
      if (this.pausedSteps.size > 0) this.resumePausedSteps();
      return;
    }
    this.applyWrite(entries, done);
  }

  /** Numbers `entries` (private to this write, so they are numbered in place), logs them, applies them. */
  private applyWrite(entries: MutableEntry[], done: WriteCallback): void {
    if (this.replayWaiters !== null) done = this.afterReplayDurable(done);
    const firstSeq = this.lastSeq + 1;
    for (let i = 0; i < entries.length; i++) entries[i]!.seq = firstSeq + i;
    // Captured before a possible rotation below: the ack must wait for *this* log's fsync.
    const wal = this.wal;
    try {
      wal.appendBatch(firstSeq, entries);
    } catch (error) {
      this.fail(error as Error);
      this.defer(() => done(error as Error));
      return;
    }
    this.lastSeq += entries.length;
    for (const entry of entries) {
      this.active.apply(entry);
      this.counters.userBytesWritten += entry.key.length + entry.value.length;
    }
    this.counters.writes += entries.length;
    if (this.active.approximateBytes >= this.options.memtableBytes) this.rotateMemtable();
    if (this.options.syncWrites) {
      wal.sync((error) => {
        if (error !== null) this.fail(error);
        // Applied above (readable now), possibly on disk: not "failed", unknown.
        done(error === null ? null : new WriteOutcomeUnknownError(error));
      });
    } else if (wal.coalescing) {
      // Acknowledged once this turn's records are appended in one write — still "in the page cache".
      wal.whenAppended((error) => {
        if (error !== null) this.fail(error);
        done(error === null ? null : new WriteOutcomeUnknownError(error));
      });
    } else {
      done(null);
    }
  }

  private validateKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array)) throw new StorageInputError('key must be a Uint8Array');
    if (key.length === 0) throw new StorageInputError('key must not be empty');
    if (key.length > this.options.maxKeyBytes) {
      throw new StorageInputError(`key of ${key.length} bytes exceeds maxKeyBytes ${this.options.maxKeyBytes}`);
    }
  }

  /**
   * Seals the active memtable and starts a new WAL; the sealed one is flushed in the background. If the new log
   * cannot be created (EMFILE, ENOSPC…), nothing changes and the engine fails: the write that triggered the
   * rotation is already in the current log and is acknowledged by its fsync as usual, and every later write
   * fails with the error. Thrown instead, it escaped put() after the write was applied, whose callback then
   * never ran (found by a storage review).
   */
  private rotateMemtable(): void {
    if (this.active.isEmpty) return;
    const walNumber = this.nextFileNumber;
    let wal: WalWriter;
    try {
      wal = WalWriter.create(this.disk, walFileName(walNumber), walNumber, this.walCounters, this.options.syncWrites, this.soon, this.crc32);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.nextFileNumber++;
    this.wal = wal;
    this.walWriters.set(walNumber, this.wal);
    this.liveWals.push(walNumber);
    this.immutables.push(this.active);
    this.active = new Memtable(walNumber, this.memtableChunkBytes);
    this.sealedCount++;
    this.scheduleFlush();
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
  }

  /**
   * The error that stopped this engine taking writes (a failed WAL append or fsync, a background failure), or
   * null. Once set, every write fails with it until the engine is reopened: after a failed fsync the page cache
   * may have dropped what it held, so nothing written since the last good sync can be trusted (as PostgreSQL
   * concluded in 2018). Reads still answer from what the engine holds.
   */
  get writeFailure(): Error | null {
    return this.failure;
  }

  /** What stopped the engine — a failed write, or a failed flush or compaction — or null while it is healthy. */
  get error(): Error | null {
    return this.failure ?? this.backgroundError;
  }

  // ───────────────────────────── reads ─────────────────────────────

  /** The live value of `key`, or undefined (absent, deleted or expired). Throws StorageCorruptionError. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen('get');
    this.counters.gets++;
    const entry = this.liveEntry(key);
    return entry === undefined ? undefined : this.valueCopies.copy(entry.value);
  }

  /**
   * What `get` returns, but the engine's own bytes instead of a copy: a view that the next read may overwrite
   * (a table block is read into a shared scratch buffer until the cache admits it). For a caller that uses the
   * value at once and keeps nothing — encodes it into a message, compares it. Never write into it.
   */
  getView(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen('getView');
    this.counters.gets++;
    return this.liveEntry(key)?.value;
  }

  /** True when `get(key)` would return a value — without copying it out. */
  has(key: Uint8Array): boolean {
    this.assertOpen('has');
    this.counters.gets++;
    return this.liveEntry(key) !== undefined;
  }

  /** The entry `get` reads: undefined when absent, deleted or expired. The value is the engine's, not a copy. */
  private liveEntry(key: Uint8Array): Entry | undefined {
    const entry = this.lookup(key);
    if (entry === undefined || entry.kind === KIND_DELETE) return undefined;
    // Only values with a TTL need the time (reading the clock is a system call in real mode).
    if (entry.time !== 0 && isInvisible(entry, this.clock.nowMicros())) return undefined;
    return entry;
  }

  private lookup(key: Uint8Array): Entry | undefined {
    // Writes queued behind a full memtable are the newest state of their keys: a reader must see them, or a
    // writer that reads before it writes (the store's coordinator draws its next version from what it holds)
    // works from a copy without its own latest write (found by a review: a hot key with 1 MiB values and a
    // 64 KiB memtable lost an acknowledged write to a reused version dot).
    let entry: Entry | undefined;
    if (this.stalledHead < this.stalled.length) {
      entry = this.stalledEntry(key);
      if (entry !== undefined) return entry;
    }
    entry = this.active.get(key);
    if (entry !== undefined) return entry;
    for (let i = this.immutables.length - 1; i >= 0; i--) {
      entry = this.immutables[i]!.get(key);
      if (entry !== undefined) return entry;
    }
    const hash = bloomHash(key);
    const l0 = this.levels[0]!;
    for (const table of l0) {
      if (compareBytes(key, table.smallest) < 0 || compareBytes(key, table.largest) > 0) continue;
      entry = this.probe(table, key, hash);
      if (entry !== undefined) return entry;
    }
    for (let level = 1; level < this.levels.length; level++) {
      const tables = this.levels[level]!;
      const table = tables[firstTableReaching(tables, key)];
      if (table === undefined || compareBytes(key, table.smallest) < 0) continue;
      entry = this.probe(table, key, hash);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  /** The newest queued (stalled) entry for `key`, if any. */
  private stalledEntry(key: Uint8Array): Entry | undefined {
    for (let w = this.stalled.length - 1; w >= this.stalledHead; w--) {
      const entries = this.stalled[w]!.entries;
      for (let i = entries.length - 1; i >= 0; i--) if (compareBytes(entries[i]!.key, key) === 0) return entries[i];
    }
    return undefined;
  }

  /**
   * The queued (stalled) entries as a sorted source for scans. They are not numbered yet, so each gets the
   * sequence number it will have once applied (FIFO after lastSeq): the merge then prefers it to every applied
   * version of its key, and the later of two queued writes of one key to the earlier.
   */
  private stalledCursor(): EntryCursor {
    const entries: Entry[] = [];
    let seq = this.lastSeq;
    for (let w = this.stalledHead; w < this.stalled.length; w++) {
      for (const entry of this.stalled[w]!.entries) entries.push({ ...entry, seq: ++seq });
    }
    // By key, newest first within a key: a merge source shows only its first entry of each key.
    entries.sort((a, b) => compareBytes(a.key, b.key) || b.seq - a.seq);
    let at = 0;
    return {
      seek(key: Uint8Array | undefined): void {
        let low = 0;
        let high = key === undefined ? 0 : entries.length;
        while (low < high) {
          const mid = (low + high) >>> 1;
          if (compareBytes(entries[mid]!.key, key!) < 0) low = mid + 1;
          else high = mid;
        }
        at = low;
      },
      valid: () => at < entries.length,
      entry: () => entries[at]!,
      next(): void {
        at++;
      },
    };
  }

  private probe(table: TableMeta, key: Uint8Array, hash: number): Entry | undefined {
    this.counters.tablesProbed++;
    const reader = this.reader(table);
    if (!reader.mayContainHash(hash)) {
      this.counters.bloomNegatives++;
      return undefined;
    }
    const entry = reader.find(key);
    if (entry === undefined) this.counters.bloomFalsePositives++;
    else this.counters.bloomTruePositives++;
    return entry;
  }

  private reader(table: TableMeta): TableReader {
    let reader = this.readers.get(table.fileNumber);
    if (reader === undefined) {
      reader = new TableReader(this.disk, tableFileName(table.fileNumber), table.fileNumber, this.cache, this.scratch, this.crc32);
      this.readers.set(table.fileNumber, reader);
    }
    return reader;
  }

  /**
   * Live entries in key order: all keys starting with `prefix`, or in [start, end). Merges the memtables and
   * every table overlapping the range; the newest version of each key wins, deleted and expired keys are
   * skipped. Returns at most `limit` entries (copies).
   */
  scan(range: ScanRange, limit = Number.POSITIVE_INFINITY): KeyValue[] {
    const results: KeyValue[] = [];
    if (limit <= 0) return results;
    this.visit(range, (key, value) => {
      results.push({ key: key.slice(), value: value.slice() });
      return results.length < limit;
    });
    return results;
  }

  /**
   * What `scan` returns, one entry at a time and without copies: `visitor` gets views of the engine's bytes,
   * valid only during the call, and returns false to stop. For a caller that looks at each entry and keeps
   * little — a key listing stops after `limit` live keys instead of first copying every value under the prefix
   * (a review: `limit=1` over 120 MiB of values stalled every node's event loop for a third of a second).
   */
  visit(range: ScanRange, visitor: (key: Uint8Array, value: Uint8Array) => boolean): void {
    this.assertOpen('scan');
    let start: Uint8Array | undefined;
    let end: Uint8Array | undefined;
    let prefix: Uint8Array | undefined;
    if ('prefix' in range) {
      prefix = range.prefix;
      start = prefix.length > 0 ? prefix : undefined;
      end = prefixEnd(prefix);
    } else {
      start = range.start;
      end = range.end;
    }
    if (start !== undefined && end !== undefined && compareBytes(start, end) >= 0) return;
    const sources: EntryCursor[] = [this.active.cursor()];
    for (const m of this.immutables) sources.push(m.cursor());
    // Writes queued behind a stall are the newest state of their keys, as lookup() has it: scan sees them too
    // (found by a review: while writes were stalled, a scan showed overwritten values and deleted keys).
    if (this.hasStalledWrites) sources.push(this.stalledCursor());
    const inRange = (table: TableMeta): boolean =>
      (start === undefined || compareBytes(table.largest, start) >= 0) && (end === undefined || compareBytes(table.smallest, end) < 0);
    // Level 0's tables overlap: one source each. A deeper level is one sorted run, opened a table at a time.
    for (const table of this.levels[0]!) if (inRange(table)) sources.push(this.reader(table).cursor(true));
    for (let level = 1; level < this.levels.length; level++) {
      const tables = this.levels[level]!.filter(inRange);
      if (tables.length > 0) sources.push(new LevelCursor(tables, (table) => this.reader(table).cursor(true)));
    }
    const merged = new MergingCursor(sources);
    merged.seek(start);
    const now = this.clock.nowMicros();
    while (merged.valid()) {
      const entry = merged.entry();
      if (end !== undefined && compareBytes(entry.key, end) >= 0) break;
      if (prefix !== undefined && !hasPrefix(entry.key, prefix)) break;
      if (!isInvisible(entry, now) && !visitor(entry.key, entry.value)) break;
      merged.next();
    }
  }

  // ───────────────────────────── flush ─────────────────────────────

  /** Seals the memtable and calls back once it (and any older sealed one) is in a durable table. */
  flush(done: WriteCallback): void {
    this.assertOpen('flush');
    this.rotateMemtable();
    if (this.immutables.length === 0) {
      this.defer(() => done(this.failure));
      return;
    }
    this.flushWaiters.push({ upTo: this.sealedCount, done });
    this.scheduleFlush(); // a no-op while a flush runs; reports at once if the engine has failed
  }

  private scheduleFlush(): void {
    if (this.flushing || this.closed) return;
    if (this.failure !== null) {
      // A failed engine flushes nothing more: whoever waits for a flush hears the failure instead of waiting.
      const failure = this.failure;
      for (const waiter of this.flushWaiters.splice(0)) this.defer(() => waiter.done(failure));
      return;
    }
    if (this.immutables.length === 0) return;
    this.flushing = true;
    const memtable = this.immutables[0]!;
    const fileNumber = this.nextFileNumber++;
    let builder: TableBuilder;
    try {
      builder = new TableBuilder(this.disk, tableFileName(fileNumber), fileNumber, this.options, this.crc32);
    } catch (error) {
      // The table file could not be created: a failure like any other of the flush's (left as it was, the
      // flag stayed set, no flush ever ran again and every write stalled with no error — a storage review).
      this.backgroundFailure(error as Error);
      return;
    }
    const pacer = new WritebackPacer(this.disk, builder, this.options.tableSyncBytes, () => this.closed, (error) => this.backgroundFailure(error));
    const cursor = memtable.cursor();
    cursor.seek(undefined);
    const step = (): void => {
      if (this.closed || pacer.failed) return;
      try {
        // Read only to pace the steps (backgroundDutyCycle < 1): in real mode the clock is a system call.
        const started = this.options.backgroundDutyCycle < 1 ? this.clock.nowMicros() : 0;
        let budget = this.stepBudget();
        while (cursor.valid() && budget > 0) {
          const entry = cursor.entry();
          builder.add(entry);
          budget -= TableBuilder.entryBytes(entry);
          cursor.next();
        }
        if (cursor.valid()) {
          if (!pacer.pace(step)) this.deferStep(step, started);
          return;
        }
        const meta = builder.finish(0);
        this.counters.flushBytesWritten += meta.size;
        if (this.options.paranoidChecks) this.verifyTable(meta);
        pacer.settle(() => this.guarded((error) => this.backgroundFailure(error), () => this.disk.sync(builder.name, (error) => {
          if (this.closed) return;
          if (error !== null) return this.backgroundFailure(error);
          const nextWal = this.immutables[1]?.firstWalNumber ?? this.active.firstWalNumber;
          this.install({ add: [meta], remove: [], logNumber: nextWal }, (installError) => {
            if (installError !== null) return this.backgroundFailure(installError);
            this.immutables.shift();
            this.flushing = false;
            this.flushedCount++;
            this.counters.flushes++;
            this.removeRetiredWals(nextWal);
            this.drainStalled();
            this.notifyFlushWaiters();
            this.scheduleFlush();
            this.scheduleCompaction();
          });
        })));
      } catch (error) {
        this.backgroundFailure(error as Error);
      }
    };
    this.defer(step);
  }

  /**
   * Schedules the next background step, leaving the thread to requests for a while in proportion to how long
   * this step ran (options.backgroundDutyCycle) — unless writes are stalled behind the flush (nothing else is
   * waiting) or level 0 has piled up to twice its trigger: then the next step runs at once.
   */
  private deferStep(step: () => void, startedMicros: number): void {
    const share = this.options.backgroundDutyCycle;
    if (share >= 1) return this.defer(step);
    const ranMicros = this.clock.nowMicros() - startedMicros;
    const stalled = this.hasStalledWrites;
    // Level 0 at twice its compaction trigger: compaction is falling behind the writes, and every get pays for
    // each extra level-0 table — the debt is not allowed to grow while steps pause.
    const behind = this.levels[0]!.length >= 2 * this.options.l0CompactionTrigger;
    if (stalled || behind || !(ranMicros > 0)) return this.defer(step);
    const pauseMicros = Math.min(1_000_000, ranMicros * (1 / share - 1));
    const id: TimerId = this.clock.setTimer(pauseMicros, () => {
      this.timers.delete(id);
      this.pausedSteps.delete(id);
      step();
    }, { keepAlive: true });
    this.timers.set(id, true);
    this.pausedSteps.set(id, step);
  }

  /** A write just stalled: background steps waiting out their duty-cycle pause run now instead. */
  private resumePausedSteps(): void {
    // In the order they paused (timer ids only grow): a flush that stalled writes pause before later steps.
    for (const [id, step] of this.pausedSteps.entryList().sort((a, b) => a[0] - b[0])) {
      this.clock.cancelTimer(id);
      this.timers.delete(id);
      this.defer(step);
    }
    this.pausedSteps.clear();
  }

  /** Writes are queued behind a full memtable (see writeBatch), waiting for a flush. */
  private get hasStalledWrites(): boolean {
    return this.stalledHead < this.stalled.length;
  }

  /**
   * Input bytes for the next flush or compaction step. While writes are stalled behind the flush nothing else
   * is waiting for the thread, so steps are 8× longer: fewer zero-delay timers, each of which a real event loop
   * rounds up to a millisecond of idling.
   */
  private stepBudget(): number {
    const stalled = this.hasStalledWrites;
    return stalled ? 8 * this.options.backgroundStepBytes : this.options.backgroundStepBytes;
  }

  private removeRetiredWals(logNumber: number): void {
    const keep: number[] = [];
    for (const number of this.liveWals) {
      if (number < logNumber) {
        const remove = (): void => {
          this.walWriters.delete(number);
          try {
            this.disk.remove(walFileName(number));
          } catch {
            // Already gone (e.g. removed as an orphan): nothing to do.
          }
        };
        // Writers still waiting on this log's group commit get their fsync first (their data is in a table
        // by now, but the acknowledgement path stays the same).
        const writer = this.walWriters.get(number);
        if (writer === undefined) remove();
        else writer.whenIdle(remove);
      } else {
        keep.push(number);
      }
    }
    this.liveWals = keep;
  }

  private notifyFlushWaiters(): void {
    const waiting = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiting) {
      if (this.flushedCount >= waiter.upTo) waiter.done(null);
      else this.flushWaiters.push(waiter);
    }
  }

  private drainStalled(): void {
    while (this.hasStalledWrites && this.immutables.length < this.options.maxImmutableMemtables && this.failure === null && !this.closing) {
      const write = this.stalled[this.stalledHead++]!;
      this.applyWrite(write.entries, write.done);
    }
    if (this.failure !== null) this.refuseStalled(this.failure);
    if (this.stalledHead === this.stalled.length) this.takeStalled();
  }

  /**
   * Refuses every queued write after a failure — as outcome unknown, not as "not applied": reads saw them while
   * they waited (lookup serves the stall queue), so a plain error let a replica answer "certainly not applied"
   * for a value a read had already returned (found by a scenario fuzzer: a phantom read).
   */
  private refuseStalled(error: Error): void {
    for (const write of this.takeStalled()) write.done(new WriteOutcomeUnknownError(error, 'visible to reads while queued behind a full memtable, then refused'));
  }

  /** Removes and returns every queued write. */
  private takeStalled(): PendingWrite[] {
    const rest = this.stalled.slice(this.stalledHead);
    this.stalled = [];
    this.stalledHead = 0;
    return rest;
  }

  // ─────────────────────────── compaction ───────────────────────────

  /** Runs a full compaction (after flushing), merging every table into the bottom; calls back when done. */
  compact(done: WriteCallback): void {
    this.assertOpen('compact');
    this.flush((error) => {
      if (error !== null) return done(error);
      this.manualCompactionWaiters.push(done);
      this.scheduleCompaction();
    });
  }

  /** Calls back when no flush or compaction is running or pending (useful for tests and benchmarks). */
  waitForIdle(done: WriteCallback): void {
    this.assertOpen('waitForIdle');
    this.idleWaiters.push(done);
    this.checkIdleSoon();
  }

  private checkIdleSoon(): void {
    if (this.idleWaiters.length === 0 || this.idleCheckPending) return;
    this.idleCheckPending = true;
    this.defer(() => {
      this.idleCheckPending = false;
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    const error = this.error;
    if (error === null) {
      if (this.flushing || this.compacting || this.immutables.length > 0 || this.manualCompactionWaiters.length > 0) return;
      if (this.options.autoCompaction && pickCompaction(this.levels, this.manifest.state.compactPointers, this.pickerOptions) !== null) {
        this.scheduleCompaction();
        return;
      }
    }
    for (const waiter of this.idleWaiters.splice(0)) waiter(error);
  }

  /** Starts the next compaction if none is running: a requested full compaction first, else the picker's plan. */
  private scheduleCompaction(): void {
    if (this.compacting || this.closed) return;
    const error = this.error;
    if (error !== null) {
      for (const waiter of this.manualCompactionWaiters.splice(0)) this.defer(() => waiter(error));
      this.checkIdleSoon();
      return;
    }
    if (this.manualCompactionWaiters.length > 0) {
      const waiters = this.manualCompactionWaiters.splice(0);
      const plan = planFullCompaction(this.levels, this.pickerOptions);
      if (plan === null) {
        for (const waiter of waiters) this.defer(() => waiter(null));
        this.scheduleCompaction();
        return;
      }
      this.compacting = true;
      this.runCompaction(plan, (compactionError) => {
        this.compacting = false;
        for (const waiter of waiters) waiter(compactionError);
        this.scheduleCompaction();
      });
      return;
    }
    const plan = this.options.autoCompaction ? pickCompaction(this.levels, this.manifest.state.compactPointers, this.pickerOptions) : null;
    if (plan === null) {
      this.checkIdleSoon();
      return;
    }
    this.compacting = true;
    this.runCompaction(plan, () => {
      this.compacting = false;
      this.scheduleCompaction();
    });
  }

  /** Executes a plan in background steps: merge inputs → output tables → fsync → manifest install → delete inputs. */
  private runCompaction(plan: CompactionPlan, done: WriteCallback): void {
    if (plan.kind === 'move') {
      const table = plan.inputs[0]!;
      this.install(
        { add: [{ ...table, level: plan.outputLevel }], remove: [table], pointer: plan.compactPointer },
        (error) => {
          if (error !== null) this.backgroundFailure(error);
          else this.counters.trivialMoves++;
          done(error);
        },
      );
      return;
    }
    const dropAllowed = isBottommost(plan, this.levels);
    const grace = this.options.tombstoneGraceMicros;
    let merged: MergingCursor;
    try {
      merged = new MergingCursor(plan.inputs.map((t) => this.reader(t).cursor(false)));
      merged.seek(undefined);
    } catch (error) {
      this.compactionCorruption(error as Error);
      return done(error as Error);
    }
    const outputs: TableMeta[] = [];
    const builders: TableBuilder[] = [];
    const pacers: WritebackPacer[] = [];
    let builder: TableBuilder | null = null;
    let pacer: WritebackPacer | null = null;
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      this.backgroundFailure(error);
      done(error);
    };
    const step = (): void => {
      if (this.closed || failed) return;
      try {
        const now = this.clock.nowMicros();
        let budget = this.stepBudget();
        while (merged.valid() && budget > 0) {
          let entry: Entry | null = merged.entry();
          const size = TableBuilder.entryBytes(entry);
          budget -= size;
          this.counters.compactionBytesRead += size;
          if (entry.kind === KIND_PUT && entry.time !== 0 && entry.time <= now) {
            // Expired: purge the value. The key still needs a tombstone unless nothing older can lie below.
            entry = dropAllowed ? null : { key: entry.key, seq: entry.seq, kind: KIND_DELETE, time: entry.time, value: new Uint8Array(0) };
          } else if (entry.kind === KIND_DELETE && dropAllowed && entry.time + grace <= now) {
            entry = null;
          }
          if (entry !== null) {
            if (builder === null) {
              const fileNumber = this.nextFileNumber++;
              builder = new TableBuilder(this.disk, tableFileName(fileNumber), fileNumber, this.options, this.crc32);
              pacer = new WritebackPacer(this.disk, builder, this.options.tableSyncBytes, () => this.closed, fail);
              builders.push(builder);
              pacers.push(pacer);
            }
            // An entry that survives unchanged is copied as stored (format 3), not encoded and checksummed again.
            const stored = entry === merged.entry() ? (merged.currentSource() as TableCursor).encodedEntry() : null;
            if (stored !== null) builder.addEncoded(entry, stored);
            else builder.add(entry);
            if (builder.estimatedBytes >= plan.targetFileBytes) {
              outputs.push(builder.finish(plan.outputLevel));
              builder = null;
              pacer = null;
            }
          }
          merged.next();
        }
        if (merged.valid()) {
          if (pacer === null || !pacer.pace(step)) this.deferStep(step, now);
          return;
        }
        if (builder !== null) outputs.push(builder.finish(plan.outputLevel));
        for (const meta of outputs) {
          this.counters.compactionBytesWritten += meta.size;
          if (this.options.paranoidChecks) this.verifyTable(meta);
        }
        // Empty output tables cannot exist (builders are created on the first surviving entry); files of an
        // all-dropped compaction simply are none.
        WritebackPacer.settleAll(pacers, () => this.guarded(fail, () => this.syncAll(builders.map((b) => b.name), (error) => {
          if (this.closed || failed) return;
          if (error !== null) return fail(error);
          this.install({ add: outputs, remove: [...plan.inputs], pointer: plan.compactPointer }, (installError) => {
            if (installError !== null) return fail(installError);
            this.counters.compactions++;
            for (const table of plan.inputs) this.removeTable(table);
            done(null);
          });
        })));
      } catch (error) {
        for (const b of builders) b.abandon();
        failed = true;
        if (error instanceof StorageCorruptionError) this.compactionCorruption(error);
        else this.backgroundFailure(error as Error);
        done(error as Error);
      }
    };
    this.defer(step);
  }

  private compactionCorruption(error: Error): void {
    if (this.backgroundError === null) this.backgroundError = error;
  }

  private removeTable(table: TableMeta): void {
    const reader = this.readers.get(table.fileNumber);
    if (reader !== undefined) reader.evictFromCache();
    this.readers.delete(table.fileNumber);
    try {
      this.disk.remove(tableFileName(table.fileNumber));
    } catch {
      // Missing already: nothing to reclaim.
    }
  }

  private syncAll(names: string[], done: (error: Error | null) => void): void {
    if (names.length === 0) return this.defer(() => done(null));
    let remaining = names.length;
    let firstError: Error | null = null;
    for (const name of names) {
      this.disk.sync(name, (error) => {
        if (error !== null && firstError === null) firstError = error;
        if (--remaining === 0) done(firstError);
      });
    }
  }

  /** Re-reads a freshly written table end to end (paranoidChecks). */
  private verifyTable(meta: TableMeta): void {
    const reader = new TableReader(this.disk, tableFileName(meta.fileNumber), meta.fileNumber, new BlockCache(0), undefined, this.crc32);
    const cursor = reader.cursor(false);
    cursor.seek(undefined);
    let previous: Uint8Array | null = null;
    let count = 0;
    while (cursor.valid()) {
      const key = cursor.entry().key;
      if (previous !== null && compareBytes(previous, key) >= 0) throw new Error(`table ${meta.fileNumber} not sorted`);
      previous = key;
      count++;
      cursor.next();
    }
    if (count !== meta.entries) throw new Error(`table ${meta.fileNumber}: ${count} entries read back, ${meta.entries} written`);
  }

  private install(
    edit: { add: TableMeta[]; remove: TableMeta[]; logNumber?: number; pointer?: { level: number; key: Uint8Array } | undefined },
    done: (error: Error | null) => void,
  ): void {
    const removed = new Set(edit.remove.map((t) => t.fileNumber));
    this.manifest.install(
      (current) => {
        const pointers = [...current.compactPointers];
        if (edit.pointer !== undefined) {
          while (pointers.length <= edit.pointer.level) pointers.push(null);
          pointers[edit.pointer.level] = edit.pointer.key;
        }
        return {
          strategy: current.strategy,
          nextFileNumber: Math.max(current.nextFileNumber, this.nextFileNumber),
          logNumber: edit.logNumber ?? current.logNumber,
          lastSequence: Math.max(current.lastSequence, this.lastSeq),
          tables: [...current.tables.filter((t) => !removed.has(t.fileNumber)), ...edit.add],
          compactPointers: pointers,
        };
      },
      (error, state) => {
        if (error === null) {
          this.levels = buildLevels(state.tables, this.options.maxLevels);
          checkLevels(this.levels, this.options.compaction);
        }
        done(error);
      },
    );
  }

  private backgroundFailure(error: Error): void {
    this.fail(error);
    this.flushing = false;
    this.compacting = false;
    this.refuseStalled(error);
    for (const waiter of this.flushWaiters.splice(0)) waiter.done(error);
    for (const waiter of this.manualCompactionWaiters.splice(0)) waiter(error);
    for (const waiter of this.idleWaiters.splice(0)) waiter(error);
  }

  // ─────────────────────────── lifecycle ───────────────────────────

  /** The live table set by level (level 0 newest first; levels ≥ 1 by key). A snapshot for tests and tools. */
  tableSet(): readonly (readonly TableMeta[])[] {
    return this.levels.map((level) => [...level]);
  }

  /** Stats (see stats.ts for definitions). */
  stats(): StorageStats {
    return computeStats({
      counters: this.counters,
      levels: this.levels,
      wal: this.walCounters,
      strategy: this.options.compaction,
      manifestBytes: this.manifest.bytesWritten,
      memtableBytes: this.active.approximateBytes,
      immutableMemtables: this.immutables.length,
      cache: { hits: this.cache.hits, misses: this.cache.misses, bytes: this.cache.usedBytes },
      failure: this.failure,
      backgroundError: this.backgroundError,
    });
  }

  /**
   * Syncs the WAL, stops background work and calls back once pending manifest installs have finished.
   * Unflushed memtable contents stay in the WAL and are replayed on the next open; a half-written flush or
   * compaction output is an orphan file, deleted on the next open.
   */
  close(done: WriteCallback): void {
    if (this.closed) return this.defer(() => done(null));
    // Writes still stalled behind a full memtable are refused now: applied later (when a flush drains the
    // stall while close waits for its fsyncs) they would land in a log after its last fsync — acknowledged
    // without syncWrites, unanswered with it — and a power loss right after close would lose them.
    this.closing = true;
    for (const write of this.takeStalled()) write.done(new StorageClosedError('write'));
    const finish = (): void => {
      this.closed = true;
      for (const id of this.timers.keyList()) this.clock.cancelTimer(id);
      this.timers.clear();
      for (const write of this.takeStalled()) write.done(new StorageClosedError('write'));
      this.manifest.whenIdle(() => done(this.failure));
    };
    // One last fsync of every log that may hold unflushed writes (even with syncWrites false) so a clean
    // shutdown loses nothing: not just the current log, but also older ones whose memtables are sealed and not
    // yet flushed — with syncWrites false nothing else ever fsyncs them, and with it their own fsyncs may still
    // be running (or, given a soon hook, not yet started) when the current log's returns.
    // Logs replayed at open count too (a previous process may have left them unsynced): their fsyncs, and the
    // directory's, started at open (see syncReplayedLogs); close waits for them.
    const logs = [...this.walWriters.values()];
    let remaining = logs.length + 1;
    const synced = (error: Error | null): void => {
      if (error !== null) this.fail(error);
      if (--remaining === 0) finish();
    };
    for (const log of logs) log.sync(synced);
    this.whenReplayDurable(() => synced(this.replayError));
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StorageClosedError(operation);
  }

  /** Runs `action`; a synchronous throw goes to `fail` (for continuations that run outside a step's try). */
  private guarded(fail: (error: Error) => void, action: () => void): void {
    try {
      action();
    } catch (error) {
      fail(error as Error);
    }
  }

  private defer(callback: () => void): void {
    const id: TimerId = this.clock.setTimer(0, () => {
      this.timers.delete(id);
      callback();
    });
    this.timers.set(id, true);
  }
}

/**
 * Arena chunks for the memtables' copies of keys and values (see memtable.ts): memtableBytes / 64, within
 * 4 … 256 KiB. One chunk per few hundred entries instead of a buffer (or a view) each: small buffers cost an
 * allocation apiece and, living until their memtable is flushed, weigh on every garbage collection; the
 * simulator's 1 MiB memtables get 16 KiB chunks, not an ArrayBuffer per sibling set.
 */
function memtableChunkBytes(options: StorageOptions): number {
  return Math.min(256 * 1024, Math.max(4096, Math.floor(options.memtableBytes / 64)));
}

/**
 * Refuses to open a directory whose files say part of the store is gone, before recovery deletes anything
 * (found by a review, each silently serving less after a restart):
 * - no MANIFEST, yet tables that no log can account for: the manifest that named them was lost, and treating
 *   them as orphans of an interrupted first flush would delete every table. (That interrupted flush is the one
 *   legitimate way to have tables and no manifest, and then the store's first log is still there.)
 * - a MANIFEST whose live log (the one holding every write since the last flush) is missing: a log is removed
 *   only once a manifest has moved past it, so this one was deleted by hand (`*.log` looks like a log file).
 * Either way the replica's peers still hold the data: moving the directory aside rebuilds it from them.
 */
function checkFilesAgainstManifest(files: readonly { parsed: ReturnType<typeof parseFileName> }[], manifest: ManifestState | undefined): void {
  const tables: number[] = [];
  const logs: number[] = [];
  for (const { parsed } of files) {
    if (parsed === undefined) continue;
    (parsed.kind === 'sst' ? tables : logs).push(parsed.fileNumber);
  }
  const remedy = 'restore it from a backup, or move the data directory aside to start this replica empty and let its peers repair it';
  if (manifest === undefined) {
    // A store's first file is its first log, 000001.log, and no log is removed before a manifest is installed:
    // without a manifest, tables beside that first log are an interrupted first flush; tables without it mean
    // manifests were installed and the last one is gone.
    if (tables.length > 0 && !logs.includes(1)) {
      const sorted = [...tables].sort((a, b) => a - b);
      const names = sorted.slice(0, 4).map(tableFileName).join(', ') + (sorted.length > 4 ? ', …' : '');
      throw new StorageCorruptionError(
        MANIFEST_FILE, 0,
        `missing, but ${tables.length} table file(s) it must have named are here (${names}) and no log holds their data; refusing to start rather than delete them: ${remedy}`,
      );
    }
  } else if (manifest.logNumber > 0 && !logs.includes(manifest.logNumber)) {
    throw new StorageCorruptionError(
      walFileName(manifest.logNumber), 0,
      `missing: the manifest names it as the live write-ahead log, holding every write since the last flush; refusing to start without it: ${remedy}`,
    );
  }
}
