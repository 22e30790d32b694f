import { compareBytes } from './bytes';
import type { Entry } from './entry';

/** An ordered cursor over entries: memtable, table and merged views all speak this. */
export interface EntryCursor {
  /** Positions at the first entry with key ≥ `key` (the first entry when undefined). */
  seek(key: Uint8Array | undefined): void;
  valid(): boolean;
  entry(): Entry;
  next(): void;
}

/**
 * Merges several sorted cursors into one, yielding each key once: the version with the highest sequence
 * number. Resolving ties by sequence number (rather than by source position) means correctness does not
 * hinge on the caller listing sources newest-first; a tombstone simply wins over the older put it deletes.
 *
 * Sources are few (memtables + overlapping tables), so a linear minimum beats a heap's bookkeeping.
 */
export class MergingCursor implements EntryCursor {
  private current = -1;

  constructor(private readonly sources: EntryCursor[]) {}

  seek(key: Uint8Array | undefined): void {
    for (const source of this.sources) source.seek(key);
    this.pick();
  }

  private pick(): void {
    let best = -1;
    let bestEntry: Entry | null = null;
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[i]!;
      if (!source.valid()) continue;
      const entry = source.entry();
      if (bestEntry === null) {
        best = i;
        bestEntry = entry;
        continue;
      }
      const c = compareBytes(entry.key, bestEntry.key);
      if (c < 0 || (c === 0 && entry.seq > bestEntry.seq)) {
        best = i;
        bestEntry = entry;
      }
    }
    this.current = best;
  }

  valid(): boolean {
    return this.current >= 0;
  }

  entry(): Entry {
    return this.sources[this.current]!.entry();
  }

  /** The source the current entry comes from (compaction asks a table cursor for the entry's stored bytes). */
  currentSource(): EntryCursor {
    return this.sources[this.current]!;
  }

  next(): void {
    const key = this.entry().key;
    for (const source of this.sources) {
      while (source.valid() && compareBytes(source.entry().key, key) === 0) source.next();
    }
    this.pick();
  }
}
