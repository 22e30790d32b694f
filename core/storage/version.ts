import { compareBytes, toHex } from './bytes';
import type { CompactionStrategy } from './manifest';
import type { TableMeta } from './table-meta';

/**
 * The table set as the read path and the compaction picker see it: tables grouped by level.
 *
 *   level 0  — overlapping tables, newest first (by maxSeq). Size-tiered keeps every run here.
 *   level ≥1 — (leveled only) tables sorted by key and non-overlapping, so one binary search finds the only
 *              table that can hold a key.
 *
 * For any key, a version in an earlier list position (level 0 before level 1 before level 2 …) is newer than
 * one later: flushes add newer data at level 0, compactions move data down. The read path stops at the
 * first hit because of this invariant, and `checkLevels` asserts it.
 */
export type Levels = readonly (readonly TableMeta[])[];

export function buildLevels(tables: readonly TableMeta[], maxLevels: number): TableMeta[][] {
  const levels: TableMeta[][] = [];
  for (let i = 0; i < maxLevels; i++) levels.push([]);
  for (const table of tables) {
    while (levels.length <= table.level) levels.push([]);
    levels[table.level]!.push(table);
  }
  levels[0]!.sort((a, b) => b.maxSeq - a.maxSeq);
  for (let i = 1; i < levels.length; i++) levels[i]!.sort((a, b) => compareBytes(a.smallest, b.smallest));
  return levels;
}

/** In a level ≥ 1 (sorted, non-overlapping): the index of the first table whose largest key is ≥ `key` (length if none). */
export function firstTableReaching(tables: readonly TableMeta[], key: Uint8Array): number {
  let low = 0;
  let high = tables.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareBytes(tables[middle]!.largest, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function overlaps(table: TableMeta, smallest: Uint8Array, largest: Uint8Array): boolean {
  return compareBytes(table.largest, smallest) >= 0 && compareBytes(table.smallest, largest) <= 0;
}

export function levelBytes(tables: readonly TableMeta[]): number {
  let total = 0;
  for (const t of tables) total += t.size;
  return total;
}

/** Throws if the level structure breaks an invariant the read path relies on. Cheap: O(tables). */
export function checkLevels(levels: Levels, strategy: CompactionStrategy): void {
  const l0 = levels[0] ?? [];
  for (let i = 1; i < l0.length; i++) {
    const newer = l0[i - 1]!;
    const older = l0[i]!;
    // Level-0 tables come from flushes (disjoint sequence ranges) or, size-tiered, from merging age-adjacent
    // runs — either way their sequence ranges never interleave.
    if (newer.minSeq <= older.maxSeq) {
      throw new Error(`level 0 tables ${newer.fileNumber} and ${older.fileNumber} have interleaved sequence ranges`);
    }
  }
  if (strategy === 'size-tiered') {
    for (let level = 1; level < levels.length; level++) {
      if (levels[level]!.length > 0) throw new Error(`size-tiered store has tables at level ${level}`);
    }
  }
  for (let level = 1; level < levels.length; level++) {
    const tables = levels[level]!;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (compareBytes(t.smallest, t.largest) > 0) throw new Error(`table ${t.fileNumber} has smallest > largest`);
      if (i > 0 && compareBytes(tables[i - 1]!.largest, t.smallest) >= 0) {
        throw new Error(
          `level ${level} tables ${tables[i - 1]!.fileNumber} and ${t.fileNumber} overlap at ${toHex(t.smallest)}`,
        );
      }
    }
  }
}
