/**
 * Write amplification measured on the real LSM engine (core/storage) running on the simulated disk, once per
 * compaction strategy, on the same small load. The engine is the one the store uses; only the sizes are scaled
 * down (64 KiB memtables instead of 64 MiB) so that a few megabytes of writes build three or four levels — the
 * shape, not the size, is what sets write amplification. Everything runs on virtual time: the figures are the
 * same on every machine and every run.
 */
import { StorageEngine, type CompactionStrategy, type StorageOptions, type StorageStats } from '../../core/storage';
import { liveData, spaceAmplificationOf } from '../../core/storage/stats';
import { SimWorld } from '../../sim/world';

export interface CompactionLoad {
  /** Puts issued. */
  puts: number;
  /** Keys drawn uniformly from 0 … keySpace − 1, so some puts overwrite. */
  keySpace: number;
  valueBytes: number;
  memtableBytes: number;
  seed: number;
}

export const DEFAULT_COMPACTION_LOAD: CompactionLoad = {
  puts: 24_000,
  keySpace: 24_000,
  valueBytes: 1000,
  memtableBytes: 64 * 1024,
  seed: 1,
};

export interface CompactionMeasurement {
  strategy: CompactionStrategy;
  /** Flush + compaction bytes ÷ user bytes (the figure the seeds' 5× / 10× are about). */
  tableWriteAmplification: number;
  /** The same plus WAL and manifest bytes. */
  writeAmplification: number;
  /** WAL bytes ÷ user bytes: ~1× plus record framing. */
  walWriteAmplification: number;
  /**
   * Manifest bytes ÷ user bytes. The engine rewrites the whole manifest (one entry per live table) on every
   * flush and compaction, so at the scaled-down 64 KiB tables this share is far larger than at real table sizes.
   */
  manifestWriteAmplification: number;
  /**
   * Bytes in tables ÷ key + value bytes of the live keys' newest records (`liveBytes`), counted by a full scan
   * once the load has been flushed and compaction is idle. Not the engine's own estimate (total ÷ largest run),
   * which under size-tiered overstates: its live keys are spread over several runs.
   */
  spaceAmplification: number;
  /** Bytes in SSTables once the load is flushed and compaction idle. */
  tableBytes: number;
  /** Key + value bytes of the live keys' newest records, and how many live keys there are. */
  liveBytes: number;
  liveKeys: number;
  compactions: number;
  flushes: number;
  userBytes: number;
  bytesPerLevel: number[];
  /** Bloom false-positive rate the engine saw on gets of absent keys (its own counters). */
  engineBloomFalsePositiveRate: number;
  engineBloomProbes: number;
}

function scaledOptions(strategy: CompactionStrategy, load: CompactionLoad, bloomBitsPerKey: number): Partial<StorageOptions> {
  const memtable = load.memtableBytes;
  return {
    compaction: strategy,
    memtableBytes: memtable,
    levelBaseBytes: 4 * memtable, // RocksDB's ratio: 256 MiB level 1 over 64 MiB memtables
    levelSizeMultiplier: 10,
    targetFileBytes: memtable,
    tieredSmallRunBytes: memtable,
    backgroundStepBytes: memtable,
    bloomBitsPerKey,
    syncWrites: false,
  };
}

/** A small deterministic PRNG for key choice (xorshift32), so the load is identical for both strategies. */
function xorshift(seed: number): () => number {
  let x = (seed | 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const encoder = new TextEncoder();
const keyOf = (i: number): Uint8Array => encoder.encode(`user:${i.toString().padStart(8, '0')}`);
/** A key never written that sorts between written ones, so it falls inside tables' key ranges. */
const absentKeyOf = (i: number): Uint8Array => encoder.encode(`user:${i.toString().padStart(8, '0')}~`);

function settle(world: SimWorld, start: (done: (error: Error | null) => void) => void): void {
  let result: Error | null | undefined;
  start((error) => {
    result = error;
  });
  world.simulator.run({ maxEvents: 50_000_000 });
  if (result === undefined) throw new Error('storage engine did not finish (simulation ran dry)');
  if (result !== null) throw result;
}

export function measureCompaction(strategy: CompactionStrategy, bloomBitsPerKey = 10, load: CompactionLoad = DEFAULT_COMPACTION_LOAD): CompactionMeasurement {
  const world = new SimWorld(`report/${strategy}/${load.seed}`);
  const machine = world.addMachine('n0');
  const engine = StorageEngine.open({ disk: machine.disk, clock: machine.clock, options: scaledOptions(strategy, load, bloomBitsPerKey) });
  const random = xorshift(load.seed);
  const value = new Uint8Array(load.valueBytes).fill(0x61);
  let failure: Error | null = null;
  const done = (error: Error | null): void => {
    if (error !== null && failure === null) failure = error;
  };
  // Issue puts in slices and let the simulator run between them, so flushes and compactions interleave with
  // the load as they would on a live node (and stalled writes drain).
  const slice = 256;
  for (let i = 0; i < load.puts; i++) {
    engine.put(keyOf(Math.floor(random() * load.keySpace)), value, undefined, done);
    if (i % slice === slice - 1) world.simulator.run({ maxEvents: 5_000_000 });
  }
  settle(world, (cb) => engine.flush(cb));
  settle(world, (cb) => engine.waitForIdle(cb));
  if (failure !== null) throw failure;
  const written = engine.stats();
  // Gets of keys never written but inside the tables' key ranges: each covering table consults its filter.
  for (let i = 0; i < 4000; i++) engine.get(absentKeyOf(Math.floor(random() * load.keySpace)));
  const read: StorageStats = engine.stats();
  // The data set the tables hold (the gets above wrote nothing), counted by a scan after the read figures are
  // taken so it adds nothing to them.
  const live = liveData(engine);
  settle(world, (cb) => engine.close(cb));
  return {
    strategy,
    tableWriteAmplification: written.tableWriteAmplification,
    writeAmplification: written.writeAmplification,
    walWriteAmplification: written.userBytesWritten > 0 ? written.walBytesWritten / written.userBytesWritten : 0,
    manifestWriteAmplification: written.userBytesWritten > 0 ? written.manifestBytesWritten / written.userBytesWritten : 0,
    spaceAmplification: spaceAmplificationOf(written.tableBytes, live.bytes),
    tableBytes: written.tableBytes,
    liveBytes: live.bytes,
    liveKeys: live.keys,
    compactions: written.compactions,
    flushes: written.flushes,
    userBytes: written.userBytesWritten,
    bytesPerLevel: written.bytesPerLevel,
    engineBloomFalsePositiveRate: read.bloomFalsePositiveRate,
    engineBloomProbes: read.bloomFalsePositives + read.bloomNegatives,
  };
}
