import { LogHistogram } from './log-histogram';
import { assertValidFileName, DiskError, type Disk, type DiskOperation, type Random, type SyncCallback } from '../core/env';
import type { SimHost } from './host';
import { sampleLatencyMicros, validateLatency, type LatencyDistribution } from './latency';
import { EventTag, type Simulator } from './simulator';

/**
 * A simulated disk with honest crash semantics (see core/env/disk.ts for the contract).
 *
 * Each file is an inode with a growable byte buffer. Durability is tracked per inode:
 *
 *     buffer:  [ durable bytes ........ | appended, not yet synced ]
 *              0                syncedLength                  length
 *
 * While only appends happen (the WAL and SSTable case) the durable image is simply the first `syncedLength`
 * bytes, so a sync costs nothing to record. If a positional write or truncate touches the durable region,
 * the durable image is copied aside first (copy-on-write), and so is the image an in-flight sync promised.
 *
 * The directory (name → inode) is durable only as of the last completed `syncDirectory`.
 *
 * `crash()` rebuilds the world a restarted process would find: the durable directory, each file at its
 * durable image — and, in 'tear' mode, a random prefix of the unsynced tail on each appended file, the way
 * a power cut leaves part of the last write on the platter.
 */
export interface SimDiskOptions {
  /** Latency of one fsync (file or directory). Default: fixed 0.2 ms, a datacenter SSD. */
  syncLatency?: LatencyDistribution;
  /**
   * The device's write bandwidth, bytes per second; 0 (default) = unlimited. With a limit, a sync first waits
   * for every byte written since the previous sync — to any file: the WAL, a flush's table, a compaction's
   * output — to drain through the device at this rate, behind whatever an earlier sync left queued. That is
   * what a flush or a compaction costs the writes behind it (one shared device queue; a real fsync flushes
   * only its own file's pages, but they compete for the same bandwidth).
   */
  writeBytesPerSecond?: number;
}

export type CrashMode = 'drop-unsynced' | 'tear-unsynced';

interface InFlightSync {
  readonly order: number;
  readonly startLength: number;
  /** Copy of the bytes at sync start, taken only if a non-append mutation happens before completion. */
  image: Uint8Array | null;
}

class Inode {
  buffer = new Uint8Array(64);
  length = 0;
  syncedLength = 0;
  /** The durable image when it is no longer a prefix of `buffer`. */
  durableOverlay: Uint8Array | null = null;
  inFlight: InFlightSync[] = [];
  lastAppliedSyncOrder = -1;

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  durableImage(): Uint8Array {
    return this.durableOverlay ?? this.buffer.subarray(0, this.syncedLength);
  }

  ensureCapacity(needed: number): void {
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** Call before any mutation that changes bytes below `length` (not a pure append). */
  beforeOverwrite(fromOffset: number): void {
    if (this.durableOverlay === null && fromOffset < this.syncedLength) {
      this.durableOverlay = this.buffer.slice(0, this.syncedLength);
    }
    for (const sync of this.inFlight) {
      if (sync.image === null && fromOffset < sync.startLength) sync.image = this.buffer.slice(0, sync.startLength);
    }
  }
}

export interface DiskCounters {
  bytesWritten: number;
  bytesRead: number;
  syncs: number;
  directorySyncs: number;
}

export class SimDisk implements Disk {
  private readonly files = new Map<string, Inode>();
  private durableFiles = new Map<string, Inode>();
  private syncOrder = 0;
  private directorySyncOrder = 0;
  private lastAppliedDirectorySync = -1;
  private readonly syncLatency: LatencyDistribution;
  private readonly writeBytesPerMicro: number;
  /** Bytes written since the last sync took them into the device queue. */
  private queuedBytes = 0;
  /** When the device has drained everything earlier syncs queued (true µs). */
  private deviceFreeAtMicros = 0;
  readonly counters: DiskCounters = { bytesWritten: 0, bytesRead: 0, syncs: 0, directorySyncs: 0 };
  /** Each file sync's time from call to completion, µs (for figures: fsync p50/p99). */
  readonly syncMicros = new LogHistogram();

  constructor(
    private readonly simulator: Simulator,
    private readonly host: SimHost,
    private readonly random: Random,
    options: SimDiskOptions = {},
  ) {
    this.syncLatency = options.syncLatency ?? { kind: 'fixed', ms: 0.2 };
    validateLatency(this.syncLatency, 'disk syncLatency');
    const bandwidth = options.writeBytesPerSecond ?? 0;
    if (!(Number.isFinite(bandwidth) && bandwidth >= 0)) throw new RangeError(`disk writeBytesPerSecond must be a number ≥ 0 (0 = unlimited), got ${bandwidth}`);
    this.writeBytesPerMicro = bandwidth / 1e6;
  }

  list(): string[] {
    return [...this.files.keys()].sort(compareCodeUnits);
  }

  exists(name: string): boolean {
    // Only valid names are ever stored, so a hit needs no check. A miss on an invalid name is refused like
    // every other operation refuses one, as FileDisk does (found by a review: this answered false, FileDisk threw).
    if (this.files.has(name)) return true;
    assertValidFileName('exists', name);
    return false;
  }

  size(name: string): number {
    return this.inode('size', name).length;
  }

  create(name: string): void {
    assertValidFileName('create', name);
    const existing = this.files.get(name);
    if (existing !== undefined) {
      existing.beforeOverwrite(0);
      existing.length = 0;
      return;
    }
    this.files.set(name, new Inode());
  }

  append(name: string, data: Uint8Array): void {
    const inode = this.inode('append', name);
    inode.ensureCapacity(inode.length + data.length);
    inode.buffer.set(data, inode.length);
    inode.length += data.length;
    this.counters.bytesWritten += data.length;
    this.queuedBytes += data.length;
  }

  writeAt(name: string, offset: number, data: Uint8Array): void {
    const inode = this.inode('writeAt', name);
    if (!Number.isInteger(offset) || offset < 0 || offset > inode.length) {
      throw new DiskError('writeAt', name, `offset ${offset} is outside 0..${inode.length}`);
    }
    if (offset < inode.length) inode.beforeOverwrite(offset);
    inode.ensureCapacity(offset + data.length);
    inode.buffer.set(data, offset);
    inode.length = Math.max(inode.length, offset + data.length);
    this.counters.bytesWritten += data.length;
    this.queuedBytes += data.length;
  }

  read(name: string, offset: number, length: number): Uint8Array {
    const inode = this.inode('read', name);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 0) {
      throw new DiskError('read', name, `bad range offset=${offset} length=${length}`);
    }
    const end = Math.min(inode.length, offset + length);
    const result = offset >= end ? new Uint8Array(0) : inode.buffer.slice(offset, end);
    this.counters.bytesRead += result.length;
    return result;
  }

  readInto(name: string, offset: number, target: Uint8Array, targetOffset = 0): number {
    const inode = this.inode('readInto', name);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(targetOffset) || targetOffset < 0 || targetOffset > target.length) {
      throw new DiskError('readInto', name, `bad range offset=${offset} targetOffset=${targetOffset} target length=${target.length}`);
    }
    const end = Math.min(inode.length, offset + target.length - targetOffset);
    if (offset >= end) return 0;
    target.set(inode.buffer.subarray(offset, end), targetOffset);
    this.counters.bytesRead += end - offset;
    return end - offset;
  }

  readAll(name: string): Uint8Array {
    const inode = this.inode('readAll', name);
    this.counters.bytesRead += inode.length;
    return inode.buffer.slice(0, inode.length);
  }

  truncate(name: string, size: number): void {
    const inode = this.inode('truncate', name);
    if (!Number.isInteger(size) || size < 0) throw new DiskError('truncate', name, `bad size ${size}`);
    if (size < inode.length) {
      inode.beforeOverwrite(size);
      inode.length = size;
    } else if (size > inode.length) {
      inode.ensureCapacity(size);
      inode.buffer.fill(0, inode.length, size);
      inode.length = size;
    }
  }

  rename(from: string, to: string): void {
    const inode = this.inode('rename', from);
    assertValidFileName('rename', to);
    this.files.delete(from);
    this.files.set(to, inode);
  }

  remove(name: string): void {
    this.inode('remove', name);
    this.files.delete(name);
  }

  sync(name: string, done: SyncCallback): void {
    const inode = this.inode('sync', name);
    const pending: InFlightSync = { order: this.syncOrder++, startLength: inode.length, image: null };
    inode.inFlight.push(pending);
    this.counters.syncs++;
    const incarnation = this.host.incarnation;
    const delayMicros = this.drainMicros() + sampleLatencyMicros(this.syncLatency, this.random);
    this.syncMicros.record(delayMicros);
    this.simulator.schedule(
      delayMicros,
      EventTag.DiskSync,
      () => {
        const at = inode.inFlight.indexOf(pending);
        if (at >= 0) inode.inFlight.splice(at, 1); // in place: usually the first (syncs complete in order)
        if (!this.host.isCurrent(incarnation)) return; // the machine crashed first: the sync never finished
        if (pending.order > inode.lastAppliedSyncOrder) {
          inode.lastAppliedSyncOrder = pending.order;
          if (pending.image !== null) {
            inode.durableOverlay = pending.image;
            inode.syncedLength = pending.image.length;
          } else {
            inode.durableOverlay = null;
            inode.syncedLength = pending.startLength;
          }
        }
        done(null);
      },
      this.host.index,
      pending.startLength,
    );
  }

  /**
   * How long, from now, until the bytes queued so far have gone through the device (0 without a bandwidth
   * limit); takes them off the queue and books the device for them.
   */
  private drainMicros(): number {
    if (this.writeBytesPerMicro === 0) return 0;
    const now = this.simulator.nowMicros;
    const start = Math.max(now, this.deviceFreeAtMicros);
    this.deviceFreeAtMicros = start + this.queuedBytes / this.writeBytesPerMicro;
    this.queuedBytes = 0;
    return this.deviceFreeAtMicros - now;
  }

  syncDirectory(done: SyncCallback): void {
    const snapshot = new Map(this.files);
    const order = this.directorySyncOrder++;
    this.counters.directorySyncs++;
    const incarnation = this.host.incarnation;
    this.simulator.schedule(
      sampleLatencyMicros(this.syncLatency, this.random),
      EventTag.DiskSync,
      () => {
        if (!this.host.isCurrent(incarnation)) return;
        if (order > this.lastAppliedDirectorySync) {
          this.lastAppliedDirectorySync = order;
          this.durableFiles = snapshot;
        }
        done(null);
      },
      this.host.index,
      -1,
    );
  }

  /**
   * Power loss. Call together with the host's crash. The directory reverts to its last synced state and each
   * file to its durable image; in 'tear-unsynced' mode an appended-but-unsynced tail survives as a random
   * prefix (possibly empty, possibly whole), which is what torn-tail recovery must cope with.
   */
  crash(mode: CrashMode = 'drop-unsynced'): void {
    // Power loss empties the device queue with the unsynced bytes.
    this.queuedBytes = 0;
    this.deviceFreeAtMicros = 0;
    const survivors = new Map<string, Inode>();
    const rebuilt = new Map<Inode, Inode>();
    for (const [name, inode] of this.durableFiles) {
      let fresh = rebuilt.get(inode);
      if (fresh === undefined) {
        const durable = inode.durableImage();
        let keep = durable.length;
        if (mode === 'tear-unsynced' && inode.durableOverlay === null && inode.length > inode.syncedLength) {
          keep = inode.syncedLength + this.random.int(inode.length - inode.syncedLength + 1);
        }
        fresh = new Inode();
        fresh.ensureCapacity(keep);
        fresh.buffer.set(keep <= durable.length ? durable.subarray(0, keep) : inode.buffer.subarray(0, keep));
        fresh.length = keep;
        fresh.syncedLength = keep;
        rebuilt.set(inode, fresh);
      }
      survivors.set(name, fresh);
    }
    this.files.clear();
    for (const [name, inode] of survivors) this.files.set(name, inode);
    this.durableFiles = new Map(survivors);
  }

  /** Total bytes held (current, not durable), for memory and space figures. */
  totalBytes(): number {
    let total = 0;
    for (const inode of this.files.values()) total += inode.length;
    return total;
  }

  private inode(operation: DiskOperation, name: string): Inode {
    const inode = this.files.get(name);
    if (inode === undefined) {
      assertValidFileName(operation, name);
      throw new DiskError(operation, name, 'no such file');
    }
    return inode;
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
