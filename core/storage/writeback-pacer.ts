import type { Disk } from '../env';
import type { TableBuilder } from './sstable-writer';

/**
 * Writeback pacing for one SSTable being written by a flush or a compaction (StorageOptions.tableSyncBytes,
 * RocksDB's bytes_per_sync). Left alone, a table's tens of MiB sit dirty in the page cache until the fsync
 * at its end writes them all at once, and on ext4 a WAL fdatasync issued meanwhile can wait for that burst
 * (the journal commit it needs orders behind other files' data): every durable write stalls.
 *
 * So each time `everyBytes` more bytes have been appended, the pacer starts an fsync of the table and the
 * writer carries on — the disk writes while the next step encodes. At most one such fsync is in flight: if
 * the next one falls due before the last has finished, the writer waits (`pace` returns true and calls
 * `next` later), so dirty table data stays bounded by about two intervals and the disk sets the pace.
 *
 * A failed fsync fails the job (`onError`, once) and no later step runs: after a failed fsync the kernel may
 * have dropped the pages it could not write, and a later fsync's success would prove nothing about them.
 */
export class WritebackPacer {
  private inFlight = false;
  /** builder.appendedBytes when the last pacing fsync started. */
  private syncedBytes = 0;
  private error: Error | null = null;
  private waiting: (() => void) | null = null;

  constructor(
    private readonly disk: Disk,
    private readonly builder: TableBuilder,
    private readonly everyBytes: number,
    private readonly isClosed: () => boolean,
    private readonly onError: (error: Error) => void,
  ) {}

  /** True once a pacing fsync has failed: the job must stop (onError has been called). */
  get failed(): boolean {
    return this.error !== null;
  }

  /**
   * Call after each step. False: carry on (schedule the next step yourself). True: `next` will be called
   * once the disk has caught up — or never, if the job failed.
   */
  pace(next: () => void): boolean {
    if (this.error !== null) return true;
    if (this.everyBytes === 0 || this.builder.appendedBytes - this.syncedBytes < this.everyBytes) return false;
    if (this.inFlight) {
      this.waiting = next;
      return true;
    }
    this.start();
    return false;
  }

  /** Calls `next` once no pacing fsync is in flight — never, if one failed. Before the table's final fsync. */
  settle(next: () => void): void {
    if (this.error !== null) return;
    if (this.inFlight) this.waiting = next;
    else next();
  }

  /** settle() for several tables (a compaction's outputs), one after the other. */
  static settleAll(pacers: readonly WritebackPacer[], next: () => void): void {
    const settleFrom = (i: number): void => (i === pacers.length ? next() : pacers[i]!.settle(() => settleFrom(i + 1)));
    settleFrom(0);
  }

  private start(): void {
    this.syncedBytes = this.builder.appendedBytes;
    this.inFlight = true;
    this.disk.sync(this.builder.name, (error) => {
      this.inFlight = false;
      const waiting = this.waiting;
      this.waiting = null;
      if (error !== null && this.error === null) this.error = error;
      if (this.isClosed()) return;
      if (error !== null) return this.onError(error);
      waiting?.();
    });
  }
}
