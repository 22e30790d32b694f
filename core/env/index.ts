/**
 * Everything core/ may know about the world. A node is built from `{ clock, random, disk, transport }`;
 * the simulator and real mode differ only in what they pass here.
 */
export type { Clock, TimerId, TimerOptions } from './clock';
export type { Random } from './random';
export type { Transport, NodeId, MessageHandler } from './transport';
export type { Disk, SyncCallback, DiskOperation } from './disk';
export { DiskError, assertValidFileName } from './disk';
import type { Clock } from './clock';
import type { Random } from './random';
import type { Transport } from './transport';
import type { Disk } from './disk';

export interface NodeEnvironment {
  clock: Clock;
  random: Random;
  disk: Disk;
  transport: Transport;
  /**
   * Optional, not part of the world: a faster implementation of a pure function core already has — CRC-32
   * (IEEE) of `data[start, end)` for SSTable blocks. Real mode passes Node's native zlib.crc32; it must return
   * exactly what core/storage/crc.ts `crc32` returns (test/real/native-crc32.test.ts), so a node's files read
   * the same either way. The simulator leaves it out.
   */
  crc32?: (data: Uint8Array, start: number, end: number) => number;
  /**
   * Optional: runs a callback once the current synchronous work is done, in a later turn of the same event
   * loop (real mode: Node's check-phase callback). The storage engine uses it to let the durable writes of one turn share
   * one fsync (core/storage/wal.ts). The simulator leaves it out, so every fsync there is an event of its own.
   */
  soon?: (callback: () => void) => void;
}
