import { compareBytes } from './bytes';
import type { CompactionStrategy } from './manifest';
import type { TableMeta } from './table-meta';
import { levelBytes, overlaps, type Levels } from './version';

/**
 * Compaction picking: a pure function from a snapshot of the table set to a plan (or null: nothing to do).
 * No I/O, no clock, no engine state — so the policies can be tested exhaustively on synthetic table sets and
 * the engine's background job only executes what it is handed.
 *
 * Leveled (LevelDB/RocksDB style): level 0 holds flushed tables; level n ≥ 1 has a size target of
 * levelBaseBytes × multiplier^(n−1). The level with the highest score (level 0: table count / trigger;
 * others: bytes / target) ≥ 1 is compacted into the next level: all of level 0, or one table of level n
 * chosen round-robin by key, plus every overlapping table one level down. A table with nothing overlapping
 * below is moved, not rewritten. Each byte is rewritten about once per level → write amplification ≈
 * multiplier per level in the worst case, but at most one table per key per level ≥ 1 → low read and space
 * amplification.
 *
 * Size-tiered (Cassandra STCS, restricted to age-adjacent runs): all tables are runs at level 0, newest first.
 * A window of ≥ minThreshold consecutive runs of similar size (each within [0.5×, 1.5×] of the window's mean,
 * runs under smallRunBytes all counting as one bucket) is merged into one run. Each byte is rewritten about
 * once per tier → lower write amplification, at the price of more runs to probe and more dead versions kept.
 * Restricting merges to age-adjacent runs keeps runs' sequence ranges disjoint, so "first hit wins" stays
 * true for reads.
 */
export interface PickerOptions {
  strategy: CompactionStrategy;
  maxLevels: number;
  l0CompactionTrigger: number;
  levelBaseBytes: number;
  levelSizeMultiplier: number;
  targetFileBytes: number;
  tieredMinThreshold: number;
  tieredMaxThreshold: number;
  tieredSmallRunBytes: number;
}

export interface CompactionPlan {
  /** 'move' re-labels a single table's level without rewriting it. */
  readonly kind: 'merge' | 'move';
  readonly inputs: readonly TableMeta[];
  readonly outputLevel: number;
  /** Split outputs at this size (Infinity: one output table). */
  readonly targetFileBytes: number;
  readonly reason: string;
  readonly compactPointer?: { readonly level: number; readonly key: Uint8Array };
}

export function levelTargetBytes(level: number, options: PickerOptions): number {
  return options.levelBaseBytes * options.levelSizeMultiplier ** (level - 1);
}

export function pickCompaction(levels: Levels, pointers: readonly (Uint8Array | null)[], options: PickerOptions): CompactionPlan | null {
  return options.strategy === 'leveled' ? pickLeveled(levels, pointers, options) : pickSizeTiered(levels, options);
}

export function pickLeveled(levels: Levels, pointers: readonly (Uint8Array | null)[], options: PickerOptions): CompactionPlan | null {
  let bestLevel = -1;
  let bestScore = 1;
  const l0 = levels[0] ?? [];
  const l0Score = l0.length / options.l0CompactionTrigger;
  if (l0Score >= bestScore) {
    bestScore = l0Score;
    bestLevel = 0;
  }
  for (let level = 1; level < options.maxLevels - 1; level++) {
    const score = levelBytes(levels[level] ?? []) / levelTargetBytes(level, options);
    if (score > bestScore) {
      bestScore = score;
      bestLevel = level;
    }
  }
  if (bestLevel < 0) return null;
  const below = levels[bestLevel + 1] ?? [];
  if (bestLevel === 0) {
    const inputs = [...l0];
    const [smallest, largest] = keyRange(inputs);
    const overlapping = below.filter((t) => overlaps(t, smallest, largest));
    return {
      kind: 'merge',
      inputs: [...inputs, ...overlapping],
      outputLevel: 1,
      targetFileBytes: options.targetFileBytes,
      reason: `level 0 has ${l0.length} tables (trigger ${options.l0CompactionTrigger})`,
    };
  }
  const tables = levels[bestLevel]!;
  const pointer = pointers[bestLevel] ?? null;
  let chosen = tables[0]!;
  if (pointer !== null) {
    const after = tables.find((t) => compareBytes(t.smallest, pointer) > 0);
    if (after !== undefined) chosen = after;
  }
  const overlapping = below.filter((t) => overlaps(t, chosen.smallest, chosen.largest));
  const reason = `level ${bestLevel} is ${bestScore.toFixed(2)}× its target`;
  const compactPointer = { level: bestLevel, key: chosen.largest };
  if (overlapping.length === 0) {
    return { kind: 'move', inputs: [chosen], outputLevel: bestLevel + 1, targetFileBytes: options.targetFileBytes, reason, compactPointer };
  }
  return {
    kind: 'merge',
    inputs: [chosen, ...overlapping],
    outputLevel: bestLevel + 1,
    targetFileBytes: options.targetFileBytes,
    reason,
    compactPointer,
  };
}

export function pickSizeTiered(levels: Levels, options: PickerOptions): CompactionPlan | null {
  const runs = levels[0] ?? [];
  const bucketSize = (t: TableMeta): number => Math.max(t.size, options.tieredSmallRunBytes);
  for (let start = 0; start + options.tieredMinThreshold <= runs.length; start++) {
    let end = start + 1;
    let total = bucketSize(runs[start]!);
    while (end < runs.length && end - start < options.tieredMaxThreshold) {
      const size = bucketSize(runs[end]!);
      const mean = (total + size) / (end - start + 1);
      let fits = true;
      for (let i = start; i <= end; i++) {
        const s = i === end ? size : bucketSize(runs[i]!);
        if (s < mean * 0.5 || s > mean * 1.5) {
          fits = false;
          break;
        }
      }
      if (!fits) break;
      total += size;
      end++;
    }
    if (end - start >= options.tieredMinThreshold) {
      return {
        kind: 'merge',
        inputs: runs.slice(start, end),
        outputLevel: 0,
        targetFileBytes: Number.POSITIVE_INFINITY,
        reason: `${end - start} similar-sized runs (~${Math.round(total / (end - start))} B each)`,
      };
    }
  }
  return null;
}

/**
 * A plan that merges every table into one sorted place (manual full compaction), or null when that is
 * already the case. A lone table is still rewritten if it holds tombstones or TTL'd values, so a full
 * compaction is also the way to purge them.
 */
export function planFullCompaction(levels: Levels, options: PickerOptions): CompactionPlan | null {
  const all = levels.flat();
  if (all.length === 0) return null;
  const settled = all.length === 1 && all[0]!.tombstones === 0;
  if (options.strategy === 'size-tiered') {
    if (settled) return null;
    return { kind: 'merge', inputs: all, outputLevel: 0, targetFileBytes: Number.POSITIVE_INFINITY, reason: 'full compaction' };
  }
  const total = levelBytes(all);
  let deepest = 1;
  for (let level = 1; level < levels.length; level++) if (levels[level]!.length > 0) deepest = level;
  let outputLevel = deepest;
  while (outputLevel < options.maxLevels - 1 && total > levelTargetBytes(outputLevel, options)) outputLevel++;
  if (settled && all[0]!.level === outputLevel) return null;
  return { kind: 'merge', inputs: all, outputLevel, targetFileBytes: options.targetFileBytes, reason: 'full compaction' };
}

/**
 * True when the compaction may drop tombstones (and TTL-expired puts): no table outside the inputs could hold
 * an older version of a key in the inputs' range. A table outside whose versions are all newer than every
 * input (minSeq > inputs' maxSeq) cannot, so new flushes landing during a compaction do not block dropping.
 */
export function isBottommost(plan: CompactionPlan, levels: Levels): boolean {
  const inputs = new Set(plan.inputs.map((t) => t.fileNumber));
  const [smallest, largest] = keyRange(plan.inputs);
  let maxSeq = 0;
  for (const t of plan.inputs) maxSeq = Math.max(maxSeq, t.maxSeq);
  for (const level of levels) {
    for (const t of level) {
      if (inputs.has(t.fileNumber)) continue;
      if (overlaps(t, smallest, largest) && t.minSeq <= maxSeq) return false;
    }
  }
  return true;
}

export function keyRange(tables: readonly TableMeta[]): [Uint8Array, Uint8Array] {
  let smallest = tables[0]!.smallest;
  let largest = tables[0]!.largest;
  for (const t of tables) {
    if (compareBytes(t.smallest, smallest) < 0) smallest = t.smallest;
    if (compareBytes(t.largest, largest) > 0) largest = t.largest;
  }
  return [smallest, largest];
}
