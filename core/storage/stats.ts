import type { TableMeta } from './table-meta';
import { levelBytes } from './version';

/** Raw counters the engine bumps; `computeStats` turns them into the published figures. */
export interface EngineCounters {
  userBytesWritten: number;
  writes: number;
  flushBytesWritten: number;
  compactionBytesWritten: number;
  compactionBytesRead: number;
  gets: number;
  tablesProbed: number;
  bloomNegatives: number;
  bloomFalsePositives: number;
  bloomTruePositives: number;
  flushes: number;
  compactions: number;
  trivialMoves: number;
  writeStalls: number;
}

/** Shared by every WAL writer the engine has had, so retired logs' syncs still count. */
export interface WalCounters {
  bytesWritten: number;
  syncs: number;
  syncedWrites: number;
}

/**
 * What `stats()` reports. Definitions:
 * - writeAmplification: every byte the engine wrote (WAL + flushed tables + compaction output + manifest)
 *   per byte of user key+value written.
 * - tableWriteAmplification: the same without WAL and manifest — flush + compaction bytes per user byte; this
 *   is the figure the leveled-vs-tiered comparison is about (the WAL costs ~1× under either).
 * - readAmplification: SSTables probed (key inside the table's range, bloom consulted) per get. Memtable hits
 *   probe none.
 * - spaceAmplification: an estimate from the tables' shape alone — total table bytes ÷ bytes of the largest
 *   level (leveled) or the largest run (size-tiered), RocksDB's estimate: the largest level approximates the live
 *   data set, the rest is overwritten, deleted or duplicated data waiting for compaction. That holds for leveled
 *   (the last level holds most live keys), not for size-tiered, whose live keys are spread across its runs: the
 *   largest run holds only some of them, so the estimate overstates (with no deletes and records of one size,
 *   every key of a run is live, so it is an upper bound). The engine does not count live bytes; where the figure
 *   matters, count them after a flush (`liveData`) and use `spaceAmplificationOf` — table bytes ÷ live bytes —
 *   as the capacity report does (reports/measured/compaction.ts).
 * - bloomFalsePositiveRate: of the probes where the key was not in the table, the fraction the filter let
 *   through (measured, not theoretical).
 */
export interface StorageStats {
  writes: number;
  userBytesWritten: number;
  walBytesWritten: number;
  walSyncs: number;
  /** Writes acknowledged per WAL fsync: the group-commit factor. */
  writesPerSync: number;
  flushBytesWritten: number;
  compactionBytesWritten: number;
  compactionBytesRead: number;
  manifestBytesWritten: number;
  writeAmplification: number;
  tableWriteAmplification: number;
  gets: number;
  tablesProbed: number;
  readAmplification: number;
  bloomFalsePositives: number;
  bloomNegatives: number;
  bloomFalsePositiveRate: number;
  spaceAmplification: number;
  levels: { level: number; tables: number; bytes: number }[];
  bytesPerLevel: number[];
  tableBytes: number;
  memtableBytes: number;
  immutableMemtables: number;
  flushes: number;
  compactions: number;
  trivialMoves: number;
  writeStalls: number;
  blockCache: { hits: number; misses: number; bytes: number };
  failure: string | null;
  backgroundError: string | null;
}

export function computeStats(input: {
  counters: EngineCounters;
  wal: WalCounters;
  levels: readonly (readonly TableMeta[])[];
  strategy: 'leveled' | 'size-tiered';
  manifestBytes: number;
  memtableBytes: number;
  immutableMemtables: number;
  cache: { hits: number; misses: number; bytes: number };
  failure: Error | null;
  backgroundError: Error | null;
}): StorageStats {
  const c = input.counters;
  const bytesPerLevel = input.levels.map((level) => levelBytes(level));
  let lastNonEmpty = bytesPerLevel.length - 1;
  while (lastNonEmpty > 0 && bytesPerLevel[lastNonEmpty] === 0) lastNonEmpty--;
  const trimmed = bytesPerLevel.slice(0, lastNonEmpty + 1);
  const tableBytes = trimmed.reduce((a, b) => a + b, 0);
  let largest = 0;
  if (input.strategy === 'leveled') largest = Math.max(...trimmed, 0);
  else for (const t of input.levels[0] ?? []) largest = Math.max(largest, t.size);
  const user = c.userBytesWritten;
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
  return {
    writes: c.writes,
    userBytesWritten: user,
    walBytesWritten: input.wal.bytesWritten,
    walSyncs: input.wal.syncs,
    writesPerSync: ratio(input.wal.syncedWrites, input.wal.syncs),
    flushBytesWritten: c.flushBytesWritten,
    compactionBytesWritten: c.compactionBytesWritten,
    compactionBytesRead: c.compactionBytesRead,
    manifestBytesWritten: input.manifestBytes,
    writeAmplification: ratio(input.wal.bytesWritten + c.flushBytesWritten + c.compactionBytesWritten + input.manifestBytes, user),
    tableWriteAmplification: ratio(c.flushBytesWritten + c.compactionBytesWritten, user),
    gets: c.gets,
    tablesProbed: c.tablesProbed,
    readAmplification: ratio(c.tablesProbed, c.gets),
    bloomFalsePositives: c.bloomFalsePositives,
    bloomNegatives: c.bloomNegatives,
    bloomFalsePositiveRate: ratio(c.bloomFalsePositives, c.bloomFalsePositives + c.bloomNegatives),
    spaceAmplification: ratio(tableBytes, largest),
    levels: trimmed.map((bytes, level) => ({ level, tables: input.levels[level]!.length, bytes })),
    bytesPerLevel: trimmed,
    tableBytes,
    memtableBytes: input.memtableBytes,
    immutableMemtables: input.immutableMemtables,
    flushes: c.flushes,
    compactions: c.compactions,
    trivialMoves: c.trivialMoves,
    writeStalls: c.writeStalls,
    blockCache: input.cache,
    failure: input.failure === null ? null : input.failure.message,
    backgroundError: input.backgroundError === null ? null : input.backgroundError.message,
  };
}

/** What a full scan of an engine visits: the newest visible record of every live key. */
export interface LiveDataSource {
  visit(range: { start?: Uint8Array; end?: Uint8Array }, visitor: (key: Uint8Array, value: Uint8Array) => boolean): void;
}

/**
 * The live data set, counted at measurement time by a full scan: each live key's newest record (deleted and
 * expired keys are not live), its key + value bytes. The engine does not track this as it writes — a put cannot
 * tell cheaply whether it overwrites — so this costs one pass over every table. The scan sees memtables too:
 * flush first when the count is set against table bytes.
 */
export function liveData(engine: LiveDataSource): { keys: number; bytes: number } {
  let keys = 0;
  let bytes = 0;
  engine.visit({}, (key, value) => {
    keys++;
    bytes += key.length + value.length;
    return true;
  });
  return { keys, bytes };
}

/**
 * Space amplification measured against the live data: bytes in tables ÷ key + value bytes of the live keys'
 * newest records. 1× would be a store that keeps nothing but its live keys and values; table format (entry
 * headers, checksums, index, filter) and not-yet-compacted old versions add to it. 0 when nothing is live.
 */
export function spaceAmplificationOf(tableBytes: number, liveBytes: number): number {
  return liveBytes > 0 ? tableBytes / liveBytes : 0;
}
