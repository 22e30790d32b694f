import { StorageInputError } from './errors';
import type { CompactionStrategy } from './manifest';

/**
 * Engine options. Defaults follow the seeds (64 MiB memtable, 10 bits/key bloom ≈ 1 % false positives,
 * 10× level multiplier) and LevelDB/RocksDB practice where the seeds are silent.
 */
export interface StorageOptions {
  /** Memtable size that triggers a switch to a fresh memtable and a background flush. */
  memtableBytes: number;
  /** Immutable memtables allowed to wait for flush before writes stall (backpressure). */
  maxImmutableMemtables: number;
  /** Target uncompressed size of an SSTable data block. */
  blockBytes: number;
  bloomBitsPerKey: number;
  compaction: CompactionStrategy;
  /** Leveled: size ratio between adjacent levels. */
  levelSizeMultiplier: number;
  /** Leveled: size target of level 1 (default 4 × memtableBytes, as RocksDB's 256 MiB / 64 MiB). */
  levelBaseBytes: number;
  /** Leveled: level-0 table count that triggers a level 0 → 1 compaction. */
  l0CompactionTrigger: number;
  maxLevels: number;
  /** Leveled: compaction output is split into tables of about this size (default memtableBytes). */
  targetFileBytes: number;
  /** Size-tiered: minimum and maximum number of similar-sized runs merged at once. */
  tieredMinThreshold: number;
  tieredMaxThreshold: number;
  /** Size-tiered: runs smaller than this all count as one size bucket (default memtableBytes). */
  tieredSmallRunBytes: number;
  /**
   * How long a tombstone must survive before a bottom-level compaction may drop it, so replicas that missed
   * the delete learn of it (anti-entropy, read repair) before it disappears — Cassandra's gc_grace.
   */
  tombstoneGraceMicros: number;
  blockCacheBytes: number;
  /** true: a write is acknowledged after the WAL fsync that covers it. false: after the append (page cache). */
  syncWrites: boolean;
  /** Input bytes a background flush/compaction processes per step before yielding to other events. */
  backgroundStepBytes: number;
  /**
   * The share of the thread that background flush and compaction steps may take while no write is waiting
   * for them: after a step that ran t, the next one starts t × (1 / share − 1) later (capped at 1 s). The
   * thread that runs them also answers requests, and every replica holds the same data, so their memtables
   * fill and flush at the same moment. When writes stall behind a full memtable, steps run back to back.
   * Level 0 holding twice its compaction trigger also ends the pauses, so compaction debt cannot grow. Steps
   * take no virtual time in the simulator, so there this changes nothing. Default 1 (back to back): at 0.25
   * a bulk load lost 3–15 % and a full compaction took 2.3× as long (bench:storage). A serving real node
   * uses 0.33 (real/node-config.ts): with a flush inside bench:real's half-load phase its p99 was 26–30 ms,
   * against 59–172 ms back to back.
   */
  backgroundDutyCycle: number;
  /**
   * While an SSTable is being written (flush or compaction output), start an fsync of it each time this many
   * more bytes have been appended (0 = only at the end); the writer goes on meanwhile, and waits only if the
   * previous one has not finished (see writeback-pacer.ts). This bounds the dirty table data in the page
   * cache, so the WAL's fsyncs — which acknowledge writes — do not wait behind a burst of table writeback: on
   * ext4 an fdatasync of the log can wait for other files' data (measured here: a 4 KiB WAL fdatasync took
   * 30 ms while a 64 MiB table was synced at once, 0.5 ms with the table synced every 4 MiB). RocksDB's
   * bytes_per_sync. Default 1 MiB.
   */
  tableSyncBytes: number;
  /** Run compactions automatically after flushes (tests turn this off to drive compaction by hand). */
  autoCompaction: boolean;
  maxKeyBytes: number;
  maxValueBytes: number;
  /** Costly self-checks: re-read and verify every table after writing it. For tests. */
  paranoidChecks: boolean;
}

const MiB = 1024 * 1024;

export function resolveOptions(partial: Partial<StorageOptions> = {}): StorageOptions {
  const memtableBytes = partial.memtableBytes ?? 64 * MiB;
  const options: StorageOptions = {
    memtableBytes,
    maxImmutableMemtables: 2,
    blockBytes: 4096,
    bloomBitsPerKey: 10,
    compaction: 'leveled',
    levelSizeMultiplier: 10,
    levelBaseBytes: 4 * memtableBytes,
    l0CompactionTrigger: 4,
    maxLevels: 7,
    targetFileBytes: memtableBytes,
    tieredMinThreshold: 4,
    tieredMaxThreshold: 32,
    tieredSmallRunBytes: memtableBytes,
    tombstoneGraceMicros: 10 * 24 * 3600 * 1e6,
    blockCacheBytes: 8 * MiB,
    syncWrites: true,
    backgroundStepBytes: 1 * MiB,
    tableSyncBytes: 1 * MiB,
    backgroundDutyCycle: 1,
    autoCompaction: true,
    maxKeyBytes: 256,
    maxValueBytes: 1 * MiB,
    paranoidChecks: false,
    ...stripUndefined(partial),
  };
  const positive: (keyof StorageOptions)[] = [
    'memtableBytes', 'blockBytes', 'levelSizeMultiplier', 'levelBaseBytes', 'l0CompactionTrigger', 'targetFileBytes',
    'backgroundStepBytes', 'maxKeyBytes', 'maxValueBytes', 'tieredSmallRunBytes',
  ];
  for (const name of positive) {
    const value = options[name] as number;
    if (!(value > 0) || !Number.isFinite(value)) throw new StorageInputError(`storage option ${name} must be a positive number, got ${value}`);
  }
  if (!(options.bloomBitsPerKey >= 1 && options.bloomBitsPerKey <= 64)) throw new StorageInputError(`bloomBitsPerKey must be within 1..64`);
  if (!(options.maxLevels >= 2 && options.maxLevels <= 20)) throw new StorageInputError(`maxLevels must be within 2..20`);
  if (!(options.tieredMinThreshold >= 2 && options.tieredMaxThreshold >= options.tieredMinThreshold)) {
    throw new StorageInputError(`need 2 ≤ tieredMinThreshold ≤ tieredMaxThreshold`);
  }
  if (!(options.maxImmutableMemtables >= 1)) throw new StorageInputError('maxImmutableMemtables must be ≥ 1');
  if (!(options.tombstoneGraceMicros >= 0)) throw new StorageInputError('tombstoneGraceMicros must be ≥ 0');
  if (!(options.backgroundDutyCycle > 0 && options.backgroundDutyCycle <= 1)) throw new StorageInputError(`storage option backgroundDutyCycle must be in (0, 1], got ${options.backgroundDutyCycle}`);
  if (!(options.tableSyncBytes >= 0) || !Number.isFinite(options.tableSyncBytes)) throw new StorageInputError(`storage option tableSyncBytes must be ≥ 0 (0 = sync tables only when complete), got ${options.tableSyncBytes}`);
  if (!(options.blockCacheBytes >= 0)) throw new StorageInputError('blockCacheBytes must be ≥ 0');
  if (options.compaction !== 'leveled' && options.compaction !== 'size-tiered') {
    throw new StorageInputError(`compaction must be 'leveled' or 'size-tiered', got '${String(options.compaction)}'`);
  }
  return options;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
