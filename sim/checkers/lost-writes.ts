import type { HistoryEvent } from '../history';
import type { CheckedOperation } from './operations';
import { describeWrite, operationsByKey, showValues } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import type { ConflictMode, WriteRecord } from './supersession';
import { KeyWrites, UnjudgedWrites } from './supersession';

/**
 * Lost acknowledged writes: the durability promise. After heal and quiescence, the final read of a key must
 * reflect every write the store acknowledged — show it, or show something that supersedes it (causally, or in
 * LWW mode a write that may legitimately have won; see supersession.ts). An acknowledged write that no final
 * read reflects was lost: the client was told "stored" and the store forgot.
 *
 * Every `ok` final get of a key is checked (after quiescence they should agree; one that disagrees and
 * misses a write is exactly the evidence we want). A write acknowledged after a final read was invoked is not
 * held against that read, so a write is *judged* only when some final read of its key began after its
 * acknowledgement. Writes no final read could judge — their key got no completed final read, or every final
 * read of it began before they were acknowledged — are counted apart: with any such write (and none lost) the
 * verdict is `unknown`, never `ok`. (Found by the checker review: a write acknowledged after its key's only
 * final read began was counted as checked, and the run passed.)
 */
export interface LostWritesOptions {
  mode: ConflictMode;
  maxCounterexamples?: number;
}

export function checkLostWrites(history: readonly HistoryEvent[], options: LostWritesOptions): CheckerResult {
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let acknowledged = 0;
  let acknowledgedChecked = 0;
  let lost = 0;
  let keysChecked = 0;
  const unjudged = new UnjudgedWrites();
  for (const [key, operations] of operationsByKey(history)) {
    const finalReads = operations.filter((o) => o.f === 'get' && o.final && o.outcome === 'ok');
    const writes = new KeyWrites(key, operations, options.mode);
    const acked = writes.writes.filter((w) => w.operation.outcome === 'ok');
    acknowledged += acked.length;
    const judgedHere = unjudged.count(acked, finalReads);
    if (finalReads.length === 0) continue;
    keysChecked++;
    acknowledgedChecked += judgedHere;
    const lostHere = new Set<number>();
    for (const read of finalReads) {
      const values = read.readValues as string[];
      const readTime = read.invoke.time;
      const isReflected = writes.reflected(writes.explainers(values, (read.completion as HistoryEvent).time));
      for (const write of acked) {
        if (write.okTime >= readTime || isReflected(write.id) || lostHere.has(write.id)) continue;
        lostHere.add(write.id);
        if (counterexamples.wantsMore) reportLost(counterexamples, key, write, read, values);
        else counterexamples.total++;
      }
    }
    lost += lostHere.size;
  }
  const { keysWithoutFinalRead, acknowledgedAfterFinalReads } = unjudged;
  const figures = { acknowledgedWrites: acknowledged, acknowledgedWritesChecked: acknowledgedChecked, lost, keysChecked, keysWithoutFinalRead, acknowledgedAfterFinalReads };
  if (lost > 0) {
    return {
      checker: 'lost-writes',
      verdict: 'fail',
      summary: `${lost} of ${acknowledgedChecked} acknowledged writes lost (final reads on ${keysChecked} keys; ${options.mode} mode)`,
      counterexamples: counterexamples.kept,
      figures,
    };
  }
  // An acknowledged write that no final read could judge is not known to be kept: the verdict is unknown
  // (never ok) as soon as one went unjudged, and the summary says how many, and why.
  const unchecked = unjudged.total;
  return {
    checker: 'lost-writes',
    verdict: unchecked > 0 ? 'unknown' : 'ok',
    summary: acknowledgedChecked === 0 && acknowledgedAfterFinalReads === 0 && unchecked > 0
      ? `no key with acknowledged writes had a completed final read (${keysWithoutFinalRead} keys, ${unchecked} acknowledged writes, not judged)`
      : unchecked > 0
        ? unjudged.clauses().join('; ') + (acknowledgedChecked > 0 ? `; the other ${acknowledgedChecked} are reflected in the final reads of ${keysChecked} keys` : '')
        : `all ${acknowledgedChecked} acknowledged writes reflected in the final reads of ${keysChecked} keys`,
    counterexamples: [],
    figures,
  };
}

function reportLost(list: CounterexampleList, key: string, write: WriteRecord, read: CheckedOperation, values: string[]): void {
  list.add(
    key,
    [write.operation.invoke.index, write.operation.completion?.index, read.invoke.index, read.completion?.index],
    `${describeWrite(write.operation)} acknowledged at ${write.okTime} µs is missing from the final read ${showValues(values)} ` +
      `(event ${read.completion?.index}), and nothing that read shows supersedes it`,
  );
}
