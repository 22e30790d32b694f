/**
 * A node's disk: one flat directory of named files.
 *
 * ## Sync data plane, async durability — and why
 *
 * Reads, appends, positional writes, renames and removes are *synchronous*: they act on the page cache (the
 * simulator's in-memory bytes, or the OS page cache behind Node's file API) and cost microseconds. Durability is the
 * one slow, asynchronous step: `sync(name, done)` and `syncDirectory(done)` call back when the bytes (or the
 * directory entries) are on stable storage.
 *
 * This shape was chosen deliberately:
 * - The simulator runs events in a synchronous loop. A promise continuation would run only after the loop
 *   yields, i.e. *between* events and outside the trace; with callbacks, a completed fsync is just another
 *   event on the queue, ordered by (time, sequence) like everything else. (Measured on this 2-core machine
 *   with trivial handlers: plain completion callbacks ~49 M events/s; an awaiting core drained with
 *   `await null` ~4.9 M/s and not guaranteed to drain fully; drained with a check-phase callback ~0.9 M/s.)
 * - Real mode maps it without contortion: fs.readSync/fs.writeSync against the page cache, fs.fsync(fd, cb)
 *   on libuv's thread pool. Group commit falls out naturally: writers that arrive while one fsync is in
 *   flight share the next one.
 * - An LSM only ever waits on durability (WAL group commit, SSTable/manifest install); everything else it
 *   does is sequential buffer work that would gain nothing from being asynchronous.
 *
 * ## Crash semantics (what the simulator enforces and real disks roughly give)
 *
 * - Bytes written to a file survive a crash only once a `sync` of that file that started after the write has
 *   called back without error. Unsynced appended bytes may vanish entirely or survive as a torn prefix.
 * - Creating, renaming and removing files survive a crash only once a later `syncDirectory` has called back.
 *   Use write-to-temporary + sync + rename + syncDirectory to replace a file atomically.
 *
 * Errors are thrown (or passed to `done`) as DiskError, which names the file and the operation.
 */
export type SyncCallback = (error: DiskError | null) => void;

export interface Disk {
  /** File names in this directory, sorted by code unit order. */
  list(): string[];
  /** Whether the file exists. An invalid name (see assertValidFileName) throws DiskError, as in every other call. */
  exists(name: string): boolean;
  /** Current size in bytes (including unsynced writes). Throws DiskError if missing. */
  size(name: string): number;
  /** Creates an empty file, or truncates it to zero if it exists. */
  create(name: string): void;
  /** Appends bytes at the end. Throws DiskError if the file does not exist. */
  append(name: string, data: Uint8Array): void;
  /** Writes bytes at `offset` (≤ size), extending the file if needed. */
  writeAt(name: string, offset: number, data: Uint8Array): void;
  /** Reads up to `length` bytes at `offset`; fewer (possibly zero) at end of file. */
  read(name: string, offset: number, length: number): Uint8Array;
  /**
   * Reads into `target` at `targetOffset` (default 0) up to `target.length - targetOffset` bytes from `offset`;
   * returns how many it read — fewer (possibly zero) at end of file. Lets hot paths reuse one buffer instead of
   * allocating per read. Bytes of `target` beyond the returned count are left as they were.
   */
  readInto(name: string, offset: number, target: Uint8Array, targetOffset?: number): number;
  /** The whole file. */
  readAll(name: string): Uint8Array;
  /** Shrinks (or zero-extends) the file to `size` bytes. */
  truncate(name: string, size: number): void;
  /** Atomically renames `from` to `to`, replacing `to` if it exists. */
  rename(from: string, to: string): void;
  /** Removes a file; removing a missing file throws DiskError. */
  remove(name: string): void;
  /** Makes the file's current bytes durable, then calls `done` (asynchronously, never inline). */
  sync(name: string, done: SyncCallback): void;
  /** Makes creations, renames and removals so far durable, then calls `done` (asynchronously, never inline). */
  syncDirectory(done: SyncCallback): void;
}

export type DiskOperation =
  | 'list' | 'exists' | 'size' | 'create' | 'append' | 'writeAt' | 'read' | 'readInto' | 'readAll' | 'truncate'
  | 'rename' | 'remove' | 'sync' | 'syncDirectory';

/** A disk failure, naming the operation and the file so an operator can tell what broke. */
export class DiskError extends Error {
  constructor(
    readonly operation: DiskOperation,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`disk ${operation} failed on '${file}': ${reason}`);
    this.name = 'DiskError';
  }
}

/** File names are one path segment of [A-Za-z0-9._-], 1–128 characters, not "." or "..". Part of the contract. */
export function assertValidFileName(operation: DiskOperation, name: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || name === '.' || name === '..') {
    throw new DiskError(operation, name, 'invalid file name (use 1–128 characters of A-Z a-z 0-9 . _ -)');
  }
}
