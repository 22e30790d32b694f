import type { Disk } from '../env';
import { fromHex, toHex } from './bytes';
import { crc32c } from './crc';
import { StorageCorruptionError } from './errors';
import type { TableMeta } from './table-meta';

/**
 * The manifest: the one file that says which tables are live, at which level, and which WAL files still hold
 * unflushed writes. Every change to the file set (a flush adds a table and retires logs; a compaction swaps
 * inputs for outputs) is one atomic replacement of this file:
 *
 *   write MANIFEST.tmp → fsync it → rename over MANIFEST → fsync the directory
 *
 * Until the directory fsync completes, a crash leaves the previous MANIFEST in place, which still names the
 * old tables (not yet deleted — inputs are removed only after the install is durable) and the old logs; after
 * it, the new file set is the truth. Tables and logs not named by the manifest are orphans and are deleted on
 * open. So a crash mid-compaction neither loses data nor resurrects deleted keys.
 *
 * A whole-snapshot rewrite costs O(tables) per change; with tables of megabytes that is a few KiB, cheaper
 * than the bookkeeping of an edit log with periodic checkpoints, and trivially correct.
 *
 * File layout: a text line "DYNALAB-MANIFEST 1", a line with the CRC-32C (hex) of the body, then the body as
 * JSON (keys in hex). Text so an operator can read it; checksummed so a damaged one is refused, not trusted.
 */
export const MANIFEST_FILE = 'MANIFEST';
export const MANIFEST_TEMP_FILE = 'MANIFEST.tmp';
const HEADER = 'DYNALAB-MANIFEST 1';

export type CompactionStrategy = 'leveled' | 'size-tiered';

export interface ManifestState {
  readonly strategy: CompactionStrategy;
  /** File numbers at or above this were never allocated when the manifest was written. */
  readonly nextFileNumber: number;
  /** WAL files numbered below this are fully flushed into tables. */
  readonly logNumber: number;
  /** Every sequence number in the tables is ≤ this. */
  readonly lastSequence: number;
  readonly tables: readonly TableMeta[];
  /** Leveled: per level, the largest key of the last table compacted out of it (round-robin picking). */
  readonly compactPointers: readonly (Uint8Array | null)[];
}

export function emptyManifest(strategy: CompactionStrategy): ManifestState {
  return { strategy, nextFileNumber: 1, logNumber: 0, lastSequence: 0, tables: [], compactPointers: [] };
}

export function encodeManifest(state: ManifestState): Uint8Array {
  const body = JSON.stringify({
    strategy: state.strategy,
    nextFileNumber: state.nextFileNumber,
    logNumber: state.logNumber,
    lastSequence: state.lastSequence,
    compactPointers: state.compactPointers.map((p) => (p === null ? null : toHex(p))),
    tables: state.tables.map((t) => ({
      file: t.fileNumber,
      level: t.level,
      size: t.size,
      smallest: toHex(t.smallest),
      largest: toHex(t.largest),
      minSeq: t.minSeq,
      maxSeq: t.maxSeq,
      entries: t.entries,
      tombstones: t.tombstones,
    })),
  });
  const bodyBytes = new TextEncoder().encode(body);
  const crc = crc32c(bodyBytes).toString(16).padStart(8, '0');
  return new TextEncoder().encode(`${HEADER}\n${crc}\n${body}`);
}

export function decodeManifest(bytes: Uint8Array, file = MANIFEST_FILE): ManifestState {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const first = text.indexOf('\n');
  const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
  if (first < 0 || second < 0 || text.slice(0, first) !== HEADER) {
    throw new StorageCorruptionError(file, 0, 'manifest header missing or unknown version');
  }
  const bodyOffset = second + 1; // the header lines are ASCII, so character offset = byte offset
  const body = bytes.subarray(bodyOffset);
  const stored = text.slice(first + 1, second);
  if (!/^[0-9a-f]{8}$/.test(stored) || parseInt(stored, 16) !== crc32c(body)) {
    throw new StorageCorruptionError(file, bodyOffset, 'manifest checksum mismatch');
  }
  try {
    const raw = JSON.parse(new TextDecoder().decode(body)) as {
      strategy: CompactionStrategy;
      nextFileNumber: number;
      logNumber: number;
      lastSequence: number;
      compactPointers: (string | null)[];
      tables: { file: number; level: number; size: number; smallest: string; largest: string; minSeq: number; maxSeq: number; entries: number; tombstones: number }[];
    };
    if (raw.strategy !== 'leveled' && raw.strategy !== 'size-tiered') throw new Error(`unknown strategy ${String(raw.strategy)}`);
    return {
      strategy: raw.strategy,
      nextFileNumber: raw.nextFileNumber,
      logNumber: raw.logNumber,
      lastSequence: raw.lastSequence,
      compactPointers: raw.compactPointers.map((p) => (p === null ? null : fromHex(p))),
      tables: raw.tables.map((t) => ({
        fileNumber: t.file,
        level: t.level,
        size: t.size,
        smallest: fromHex(t.smallest),
        largest: fromHex(t.largest),
        minSeq: t.minSeq,
        maxSeq: t.maxSeq,
        entries: t.entries,
        tombstones: t.tombstones,
      })),
    };
  } catch (error) {
    throw new StorageCorruptionError(file, bodyOffset, `malformed manifest body: ${(error as Error).message}`);
  }
}

export function readManifest(disk: Disk): ManifestState | undefined {
  if (!disk.exists(MANIFEST_FILE)) return undefined;
  return decodeManifest(disk.readAll(MANIFEST_FILE));
}

type InstallCallback = (error: Error | null, state: ManifestState) => void;

/**
 * Serializes manifest installs: one write-sync-rename-syncDirectory at a time. Each request supplies a
 * function building the new state from the last installed one, called when its turn comes, so concurrent
 * flush and compaction edits compose instead of overwriting each other.
 */
export class ManifestWriter {
  private readonly queue: { build: (current: ManifestState) => ManifestState; done: InstallCallback }[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  bytesWritten = 0;
  installs = 0;

  constructor(
    private readonly disk: Disk,
    private current: ManifestState,
  ) {}

  get state(): ManifestState {
    return this.current;
  }

  install(build: (current: ManifestState) => ManifestState, done: InstallCallback): void {
    this.queue.push({ build, done });
    if (!this.busy) this.next();
  }

  /** Calls back once no install is queued or running. */
  whenIdle(callback: () => void): void {
    if (!this.busy) callback();
    else this.idleWaiters.push(callback);
  }

  private next(): void {
    const request = this.queue.shift();
    if (request === undefined) {
      this.busy = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    this.busy = true;
    let state: ManifestState;
    try {
      state = request.build(this.current);
      const bytes = encodeManifest(state);
      this.disk.create(MANIFEST_TEMP_FILE);
      this.disk.append(MANIFEST_TEMP_FILE, bytes);
      this.bytesWritten += bytes.length;
    } catch (error) {
      request.done(error as Error, this.current);
      this.next();
      return;
    }
    this.disk.sync(MANIFEST_TEMP_FILE, (syncError) => {
      if (syncError !== null) {
        request.done(syncError, this.current);
        this.next();
        return;
      }
      try {
        this.disk.rename(MANIFEST_TEMP_FILE, MANIFEST_FILE);
      } catch (error) {
        request.done(error as Error, this.current);
        this.next();
        return;
      }
      this.disk.syncDirectory((dirError) => {
        if (dirError === null) {
          this.current = state;
          this.installs++;
        }
        request.done(dirError, this.current);
        this.next();
      });
    });
  }
}
