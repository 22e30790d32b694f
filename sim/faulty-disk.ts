import { DiskError, type Disk, type Random, type SyncCallback } from '../core/env';

/**
 * A Disk wrapper that injects faults, in the manner of Pebble's vfs/errorfs: it wraps any Disk (the simulated
 * one, or the real file disk in a test) and fails or corrupts operations with seeded probabilities.
 *
 * Every knob defaults to zero, so a wrapped disk behaves exactly like the inner one until a nemesis turns a
 * knob. Knobs can be changed mid-run with `setFaults`.
 */
export interface DiskFaultOptions {
  /** Probability that a read/readInto/readAll throws a DiskError (EIO). */
  readFaultProbability?: number;
  /** Probability that an append/writeAt/create throws a DiskError before changing anything. */
  writeFaultProbability?: number;
  /** Probability that a sync/syncDirectory reports failure (the data may or may not be durable: assume not). */
  syncFaultProbability?: number;
  /** Probability that a successful read returns its bytes with one random bit flipped (silent corruption). */
  bitFlipProbability?: number;
}

export interface DiskFaultCounters {
  readFaults: number;
  writeFaults: number;
  syncFaults: number;
  bitFlips: number;
}

export class FaultyDisk implements Disk {
  private faults: Required<DiskFaultOptions>;
  readonly counters: DiskFaultCounters = { readFaults: 0, writeFaults: 0, syncFaults: 0, bitFlips: 0 };

  constructor(
    readonly inner: Disk,
    private readonly random: Random,
    options: DiskFaultOptions = {},
  ) {
    this.faults = normalize(options);
  }

  setFaults(options: DiskFaultOptions): void {
    this.faults = normalize(options);
  }

  get currentFaults(): Readonly<Required<DiskFaultOptions>> {
    return this.faults;
  }

  list(): string[] {
    return this.inner.list();
  }

  exists(name: string): boolean {
    return this.inner.exists(name);
  }

  size(name: string): number {
    return this.inner.size(name);
  }

  create(name: string): void {
    this.maybeFailWrite('create', name);
    this.inner.create(name);
  }

  append(name: string, data: Uint8Array): void {
    this.maybeFailWrite('append', name);
    this.inner.append(name, data);
  }

  writeAt(name: string, offset: number, data: Uint8Array): void {
    this.maybeFailWrite('writeAt', name);
    this.inner.writeAt(name, offset, data);
  }

  read(name: string, offset: number, length: number): Uint8Array {
    this.maybeFailRead('read', name);
    return this.maybeFlip(this.inner.read(name, offset, length));
  }

  readInto(name: string, offset: number, target: Uint8Array, targetOffset = 0): number {
    this.maybeFailRead('readInto', name);
    const n = this.inner.readInto(name, offset, target, targetOffset);
    // Same knob as read: the flipped bit lands in the bytes just read (the caller's buffer, flipped in place).
    if (n > 0 && this.roll(this.faults.bitFlipProbability)) {
      this.counters.bitFlips++;
      const bit = this.random.int(n * 8);
      target[targetOffset + (bit >> 3)]! ^= 1 << (bit & 7);
    }
    return n;
  }

  readAll(name: string): Uint8Array {
    this.maybeFailRead('readAll', name);
    return this.maybeFlip(this.inner.readAll(name));
  }

  truncate(name: string, size: number): void {
    this.maybeFailWrite('truncate', name);
    this.inner.truncate(name, size);
  }

  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }

  remove(name: string): void {
    this.inner.remove(name);
  }

  sync(name: string, done: SyncCallback): void {
    const fail = this.roll(this.faults.syncFaultProbability);
    if (!fail) return this.inner.sync(name, done); // the usual case: no wrapper closure per fsync
    this.inner.sync(name, (error) => {
      if (error === null) {
        this.counters.syncFaults++;
        done(new DiskError('sync', name, 'injected fsync failure (EIO)'));
      } else {
        done(error);
      }
    });
  }

  syncDirectory(done: SyncCallback): void {
    const fail = this.roll(this.faults.syncFaultProbability);
    this.inner.syncDirectory((error) => {
      if (error === null && fail) {
        this.counters.syncFaults++;
        done(new DiskError('syncDirectory', '.', 'injected fsync failure (EIO)'));
      } else {
        done(error);
      }
    });
  }

  private roll(probability: number): boolean {
    return probability > 0 && this.random.next() < probability;
  }

  private maybeFailWrite(operation: 'create' | 'append' | 'writeAt' | 'truncate', name: string): void {
    if (this.roll(this.faults.writeFaultProbability)) {
      this.counters.writeFaults++;
      throw new DiskError(operation, name, 'injected write failure (EIO)');
    }
  }

  private maybeFailRead(operation: 'read' | 'readInto' | 'readAll', name: string): void {
    if (this.roll(this.faults.readFaultProbability)) {
      this.counters.readFaults++;
      throw new DiskError(operation, name, 'injected read failure (EIO)');
    }
  }

  private maybeFlip(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0 || !this.roll(this.faults.bitFlipProbability)) return bytes;
    this.counters.bitFlips++;
    const flipped = bytes.slice();
    const bit = this.random.int(flipped.length * 8);
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    return flipped;
  }
}

function normalize(options: DiskFaultOptions): Required<DiskFaultOptions> {
  const result = {
    readFaultProbability: options.readFaultProbability ?? 0,
    writeFaultProbability: options.writeFaultProbability ?? 0,
    syncFaultProbability: options.syncFaultProbability ?? 0,
    bitFlipProbability: options.bitFlipProbability ?? 0,
  };
  for (const [knob, value] of Object.entries(result)) {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`disk fault ${knob} must be within [0, 1], got ${value}`);
  }
  return result;
}
