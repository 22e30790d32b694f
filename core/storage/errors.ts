/**
 * The storage engine's errors. Corruption is its own class so callers (the replication layer, an operator
 * reading a log) can tell "the bytes on disk are wrong here" apart from an I/O failure (DiskError) or a
 * misuse of the API. The engine never answers a read with a value it could not verify: it throws this.
 */
export class StorageCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`storage corruption in '${file}' at offset ${offset}: ${reason}`);
    this.name = 'StorageCorruptionError';
  }
}

/** Raised for operations on a closed engine. */
export class StorageClosedError extends Error {
  constructor(operation: string) {
    super(`storage engine is closed (attempted ${operation})`);
    this.name = 'StorageClosedError';
  }
}

/** Raised synchronously for arguments the engine refuses (oversized key or value, bad TTL, empty batch). */
export class StorageInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'StorageInputError';
  }
}

/**
 * A write that reached the log and the memtable, whose fsync then failed: it is readable now and may or may
 * not survive a crash, so its outcome is unknown — neither acknowledged nor certainly not applied. A write the
 * engine refuses before applying (it had already failed) gets the plain error instead. Callers reporting to a
 * client must say "unknown", not "failed" (found by a review: replicas refused such writes, the coordinator
 * called them failed, and reads then showed their values).
 */
export class WriteOutcomeUnknownError extends Error {
  constructor(override readonly cause: Error, what = 'written to the log but not made durable') {
    super(`${what}, outcome unknown: ${cause.message}`);
    this.name = 'WriteOutcomeUnknownError';
  }
}
