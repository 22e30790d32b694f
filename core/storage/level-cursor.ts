import { compareBytes } from './bytes';
import type { Entry } from './entry';
import type { EntryCursor } from './merge';
import type { TableMeta } from './table-meta';
import { firstTableReaching } from './version';

/**
 * One cursor over the tables of a level ≥ 1. They are sorted by key and do not overlap, so together they read
 * as one sorted run — and only the table under the cursor needs to be open. A merge over one cursor per table
 * seeked every table up front, a block read and checksum from each, however few entries the caller then
 * took: a key listing with limit=1 over 60 one-MiB values read 60 MiB before it answered (found by a review of
 * the HTTP API). LevelDB's concatenating iterator does the same, for the same reason.
 */
export class LevelCursor implements EntryCursor {
  private index = 0;
  private inner: EntryCursor | null = null;

  constructor(
    private readonly tables: readonly TableMeta[],
    private readonly open: (table: TableMeta) => EntryCursor,
  ) {
    for (let i = 1; i < tables.length; i++) {
      if (compareBytes(tables[i - 1]!.largest, tables[i]!.smallest) >= 0) {
        throw new Error(`LevelCursor: tables ${tables[i - 1]!.fileNumber} and ${tables[i]!.fileNumber} overlap or are out of order`);
      }
    }
  }

  seek(key: Uint8Array | undefined): void {
    // The first table that can hold a key ≥ `key`: the first whose largest key is not below it.
    this.index = key === undefined ? 0 : firstTableReaching(this.tables, key);
    this.openFrom(key);
  }

  valid(): boolean {
    return this.inner !== null && this.inner.valid();
  }

  entry(): Entry {
    return this.inner!.entry();
  }

  next(): void {
    this.inner!.next();
    if (this.inner!.valid()) return;
    this.index++;
    this.openFrom(undefined);
  }

  /** Opens tables from `index` on until one has an entry at or after `key` (a table past the first starts at its beginning). */
  private openFrom(key: Uint8Array | undefined): void {
    this.inner = null;
    while (this.index < this.tables.length) {
      const cursor = this.open(this.tables[this.index]!);
      cursor.seek(key);
      if (cursor.valid()) {
        this.inner = cursor;
        return;
      }
      this.index++;
      key = undefined;
    }
  }
}
