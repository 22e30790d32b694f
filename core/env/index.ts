/**
 * Everything core/ may know about the world. A node is built from `{ clock, random, disk, transport }`;
 * the simulator and real mode differ only in what they pass here.
 */
export type { Clock, TimerId } from './clock';
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
}
