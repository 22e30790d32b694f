/** The storage engine's public surface. */
export { StorageEngine } from './engine';
export type { KeyValue, RecoveryReport, ScanRange, StorageEnvironment, WriteCallback, WriteOp } from './engine';
export { StorageClosedError, StorageCorruptionError, StorageInputError, WriteOutcomeUnknownError } from './errors';
export type { StorageOptions } from './options';
export type { StorageStats } from './stats';
export type { TableMeta } from './table-meta';
export type { CompactionStrategy } from './manifest';
export { crc32, crc32c, type Checksum32 } from './crc';
