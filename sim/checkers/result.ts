/**
 * What every checker returns, so the run summary, the CLI and `sim compare` can print any of them the same way.
 *
 * - `verdict`: `ok` — the property held on this history; `fail` — it did not, and `counterexamples` shows
 *   where; `unknown` — the checker could not decide (a search budget ran out, or there was nothing it could
 *   judge). `unknown` is never silently promoted to `ok`.
 * - `counterexamples`: the first few violations only (a broken store produces thousands; the first one is
 *   what a person reads). Each names the history event indexes involved, the key, and one line of why.
 * - `figures`: flat numbers (counts, rates, µs), so they serialise to JSON and tabulate side by side.
 */
export type Verdict = 'ok' | 'fail' | 'unknown';

export interface Counterexample {
  /** The key the violation is about. */
  key: string;
  /** Indexes (`HistoryEvent.index`) of the events involved, ascending. */
  events: number[];
  /** One line: what happened and why it breaks the property. */
  explanation: string;
}

export interface CheckerResult {
  checker: string;
  verdict: Verdict;
  summary: string;
  counterexamples: Counterexample[];
  figures: Record<string, number>;
}

/** How many counterexamples a checker keeps unless told otherwise. */
export const DEFAULT_MAX_COUNTEREXAMPLES = 5;

/**
 * Keeps the first `limit` counterexamples and counts the rest, so a checker can report "12 345 violations,
 * first 5 shown" without holding 12 345 explanations in memory.
 */
export class CounterexampleList {
  readonly kept: Counterexample[] = [];
  total = 0;

  constructor(private readonly limit: number = DEFAULT_MAX_COUNTEREXAMPLES) {
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`counterexample limit must be a non-negative integer, got ${limit}`);
  }

  add(key: string, events: readonly (number | undefined)[], explanation: string): void {
    this.total++;
    if (this.kept.length >= this.limit) return;
    const indexes = [...new Set(events.filter((e): e is number => e !== undefined))].sort((a, b) => a - b);
    this.kept.push({ key, events: indexes, explanation });
  }

  /** Whether another counterexample would still be kept (lets a checker skip building an explanation). */
  get wantsMore(): boolean {
    return this.kept.length < this.limit;
  }
}
