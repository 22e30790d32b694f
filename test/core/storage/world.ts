import { SimClock } from '../../../sim/clock';
import { SimDisk } from '../../../sim/disk';
import { SimHost } from '../../../sim/host';
import { Simulator } from '../../../sim/simulator';
import { StorageEngine, type StorageOptions } from '../../../core/storage';

/** A one-node simulated world for storage tests: virtual time, a disk with crash semantics, a clock. */
export class World {
  readonly sim: Simulator;
  readonly host = new SimHost('n0', 0);
  readonly clock: SimClock;
  readonly disk: SimDisk;

  constructor(readonly seed: number) {
    this.sim = new Simulator(seed);
    this.clock = new SimClock(this.sim, this.host);
    this.disk = new SimDisk(this.sim, this.host, this.sim.random.fork('disk'), { syncLatency: { kind: 'uniform', minMs: 0.05, maxMs: 0.5 } });
  }

  /** `coalesce`: give the engine a `soon` hook (a zero-delay timer), so unsynced writes share WAL appends. */
  open(options: Partial<StorageOptions>, coalesce = false): StorageEngine {
    const soon = coalesce ? (callback: () => void): void => void this.clock.setTimer(0, callback) : undefined;
    return StorageEngine.open({ disk: this.disk, clock: this.clock, options, ...(soon === undefined ? {} : { soon }) });
  }

  /** The process dies but the machine does not: every appended byte (the page cache) survives. */
  processCrash(): void {
    this.host.crash();
    this.host.restart();
  }

  /** Power loss: the process dies, the disk keeps only what was made durable. */
  crash(mode: 'drop-unsynced' | 'tear-unsynced'): void {
    this.host.crash();
    this.disk.crash(mode);
    this.host.restart();
  }

  /** Runs the simulation until `done` has been called (and returns its error), failing if it never is. */
  await(start: (done: (error: Error | null) => void) => void): void {
    let result: Error | null | undefined;
    start((error) => {
      result = error;
    });
    this.sim.run({ maxEvents: 5_000_000 });
    if (result === undefined) throw new Error(`callback never called (seed ${this.seed})`);
    if (result !== null) throw result;
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** Small sizes so a few hundred operations exercise flushes, several levels and many compactions. */
export function smallOptions(strategy: 'leveled' | 'size-tiered', extra: Partial<StorageOptions> = {}): Partial<StorageOptions> {
  return {
    compaction: strategy,
    memtableBytes: 1024,
    blockBytes: 128,
    levelBaseBytes: 2048,
    levelSizeMultiplier: 3,
    targetFileBytes: 1024,
    l0CompactionTrigger: 2,
    tieredMinThreshold: 3,
    tieredSmallRunBytes: 512,
    backgroundStepBytes: 300,
    maxLevels: 5,
    tombstoneGraceMicros: 5_000,
    paranoidChecks: true,
    ...extra,
  };
}
