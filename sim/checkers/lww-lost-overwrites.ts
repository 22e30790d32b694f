import type { HistoryEvent } from '../history';
import { describeWrite, operationsByKey, showValues } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import { ratio } from './stats';
import type { WriteRecord } from './supersession';
import { KeyWrites, UnjudgedWrites } from './supersession';

/**
 * LWW overwrites lost to clock skew: an acknowledged write W that the store silently discarded in favour of a
 * write X that had *completed before W was even invoked*. With honest clocks X's timestamp is lower and W
 * must win; when X's coordinator's clock ran ahead, X keeps the higher timestamp and W vanishes — acknowledged,
 * never an error, and never visible again.
 *
 * Judged on the final read phase, with LWW supersession (supersession.ts): W is a lost overwrite when a final
 * read does not reflect W although it shows something — the writes it shows are then all ones that were
 * stamped before W started (acknowledged, or answered "unknown", before it: the coordinator stamps before it
 * answers; anything that may have been stamped later would reflect W), so one of them won over W; the
 * counterexample names it. (A final read that shows nothing and has no delete to explain it is a plain lost
 * write — the lost-writes checker's business, not counted here.) As in lost-writes, a write is judged only by
 * final reads that began after its acknowledgement; one that none did is counted as not judged.
 *
 * Figures: acknowledged writes checked (judged by a final read), lost overwrites, and their fraction; writes
 * not judged, and of those the ones acknowledged after their key's final reads began. Verdict `fail` when the
 * count exceeds `maxLost` (default 0), else `unknown` if any acknowledged write was not judged.
 */
export interface LwwLostOverwritesOptions {
  /** Lost overwrites still judged `ok` (default 0). */
  maxLost?: number;
  maxCounterexamples?: number;
}

export function checkLwwLostOverwrites(history: readonly HistoryEvent[], options: LwwLostOverwritesOptions = {}): CheckerResult {
  const maxLost = options.maxLost ?? 0;
  if (!(maxLost >= 0)) throw new Error(`lww-lost-overwrites: maxLost must be ≥ 0, got ${maxLost}`);
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let checked = 0;
  let lost = 0;
  // As in lost-writes: writes on keys with no final read, or acknowledged after every final read began, are judged by none.
  const unjudged = new UnjudgedWrites();
  for (const [key, operations] of operationsByKey(history)) {
    const finalReads = operations.filter((o) => o.f === 'get' && o.final && o.outcome === 'ok');
    const writes = new KeyWrites(key, operations, 'lww');
    const acked = writes.writes.filter((w) => w.operation.outcome === 'ok');
    checked += unjudged.count(acked, finalReads);
    if (finalReads.length === 0) continue;
    const counted = new Set<number>();
    for (const read of finalReads) {
      const values = read.readValues as string[];
      const explainers = writes.explainers(values, (read.completion as HistoryEvent).time);
      if (explainers.length === 0) continue;
      const isReflected = writes.reflected(explainers);
      for (const write of acked) {
        if (write.okTime >= read.invoke.time || isReflected(write.id) || counted.has(write.id)) continue;
        // Invariant: every explainer was stamped before W was invoked, or the LWW rule would have reached W.
        const winner = explainers.find((x) => x.latestStampTime < write.invokeTime) as WriteRecord | undefined;
        if (winner === undefined) throw new Error(`lww-lost-overwrites(${key}): write at event ${write.operation.invoke.index} unreflected but no earlier winner`);
        counted.add(write.id);
        counterexamples.add(
          key,
          [winner.operation.invoke.index, winner.operation.completion?.index, write.operation.invoke.index, write.operation.completion?.index, read.completion?.index],
          `${describeWrite(write.operation)} (invoked ${write.invokeTime} µs, acknowledged) lost to the earlier ${describeWrite(winner.operation)} ` +
            `(${winner.operation.outcome === 'ok' ? 'acknowledged' : 'outcome unknown, answered'} ${winner.latestStampTime} µs, before it started): final read ${showValues(values)}`,
        );
      }
    }
    lost += counted.size;
  }
  const fraction = ratio(lost, checked);
  const { keysWithoutFinalRead, acknowledgedAfterFinalReads } = unjudged;
  const unchecked = unjudged.total;
  const figures = { acknowledgedWritesChecked: checked, lostOverwrites: lost, fraction, keysWithoutFinalRead, acknowledgedWritesUnchecked: unchecked, acknowledgedAfterFinalReads };
  const fail = lost > maxLost;
  // Unjudged acknowledged writes make an otherwise clean run unknown; the summary says how many, and why.
  const notJudged = unjudged.clauses().map((clause) => `; ${clause}`).join('');
  return {
    checker: 'lww-lost-overwrites',
    verdict: fail ? 'fail' : unchecked > 0 ? 'unknown' : 'ok',
    summary:
      (lost === 0
        ? `no acknowledged write lost to an earlier one (${checked} checked)`
        : `${lost} of ${checked} acknowledged writes (${fraction}) silently lost to writes that completed before they started`) + notJudged,
    counterexamples: counterexamples.kept,
    figures,
  };
}
