import type { HistoryEvent, Operation } from '../history';
import { pairOperations } from '../history';

/**
 * The history as the checkers see it: invoke/completion pairs, grouped by key, with each pair's outcome and
 * (for reads) the sibling values it returned. Every checker starts here, so the history's conventions
 * (sim/history.ts) are interpreted in one place.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/** One invoke and its completion; `outcome` is `info` when the run ended before it completed. */
export interface CheckedOperation extends Operation {
  outcome: Outcome;
  /** Whether it is a put, delete or cas. */
  isWrite: boolean;
  /** Completed (ok) gets: the sibling values returned, as a sorted, de-duplicated list. Otherwise undefined. */
  readValues: string[] | undefined;
  /** Whether this read is part of the final read phase (`final: true` on its invoke or completion). */
  final: boolean;
}

export function outcomeOf(operation: Operation): Outcome {
  return operation.completion === undefined ? 'info' : (operation.completion.type as Outcome);
}

function toChecked(operation: Operation): CheckedOperation {
  const completion = operation.completion;
  const outcome: Outcome = completion === undefined ? 'info' : (completion.type as Outcome);
  const isWrite = operation.f !== 'get';
  let readValues: string[] | undefined;
  if (!isWrite && outcome === 'ok') {
    const raw = completion?.value;
    if (!Array.isArray(raw)) {
      throw new Error(`history event ${completion?.index}: an ok get must carry the list of sibling values, got ${JSON.stringify(raw)}`);
    }
    readValues = sortedUnique(raw);
  }
  const final = operation.invoke.final === true || completion?.final === true;
  // An explicit literal (one fixed shape) rather than a spread: this runs once per operation of the history.
  return { process: operation.process, f: operation.f, key: operation.key, invoke: operation.invoke, completion, outcome, isWrite, readValues, final };
}

/** `[...new Set(values)].sort()`, without the Set and the spread for the usual 0, 1 or 2 values. */
function sortedUnique(values: readonly string[]): string[] {
  switch (values.length) {
    case 0:
      return [];
    case 1:
      return [values[0] as string];
    case 2: {
      const a = values[0] as string;
      const b = values[1] as string;
      return a === b ? [a] : a < b ? [a, b] : [b, a];
    }
    default:
      return [...new Set(values)].sort();
  }
}

/**
 * Every checker of one run starts from the same grouping of the same history. Inside
 * `sharingOperationsByKey(history, fn)` the grouping of `history` is computed once and shared by every
 * `operationsByKey(history)` call `fn` makes; outside it, each call groups afresh (so a caller that edits a
 * history between calls never sees a stale grouping). Shared results are read-only for their users.
 */
let shared: { history: readonly HistoryEvent[]; byKey: Map<string, CheckedOperation[]> | undefined } | undefined;

export function sharingOperationsByKey<T>(history: readonly HistoryEvent[], fn: () => T): T {
  const outer = shared;
  shared = { history, byKey: undefined };
  try {
    return fn();
  } finally {
    shared = outer;
  }
}

/**
 * Pairs the history and groups operations by key, keys in order of first appearance (deterministic). Callers
 * must not modify the result (it may be shared, see sharingOperationsByKey).
 */
export function operationsByKey(history: readonly HistoryEvent[]): Map<string, CheckedOperation[]> {
  if (shared === undefined || shared.history !== history) return groupByKey(history);
  shared.byKey ??= groupByKey(history);
  return shared.byKey;
}

function groupByKey(history: readonly HistoryEvent[]): Map<string, CheckedOperation[]> {
  const byKey = new Map<string, CheckedOperation[]>();
  for (const operation of pairOperations(history)) {
    const checked = toChecked(operation);
    if (checked.completion !== undefined) {
      if (checked.completion.key !== checked.key || checked.completion.f !== checked.f) {
        throw new Error(`history event ${checked.completion.index}: completion (${checked.completion.f} ${checked.completion.key}) does not match its invoke (event ${checked.invoke.index}: ${checked.f} ${checked.key})`);
      }
      if (checked.completion.time < checked.invoke.time) {
        throw new Error(`history event ${checked.completion.index}: completes at ${checked.completion.time} µs, before its invoke at ${checked.invoke.time} µs`);
      }
    }
    let list = byKey.get(checked.key);
    if (list === undefined) {
      list = [];
      byKey.set(checked.key, list);
    }
    list.push(checked);
  }
  return byKey;
}

/** Renders a sibling list the way the history shows it, for explanations. */
export function showValues(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

/** "put p3-7", "delete", "cas p1-2→p3-9" — the write as a person would name it. */
export function describeWrite(operation: Operation): string {
  if (operation.f === 'delete') return `delete (event ${operation.invoke.index})`;
  if (operation.f === 'cas') return `cas ${String(operation.invoke.expected ?? 'absent')}→${String(operation.invoke.value)}`;
  return `put ${String(operation.invoke.value)}`;
}
