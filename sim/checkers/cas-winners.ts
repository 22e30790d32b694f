import type { HistoryEvent } from '../history';
import { operationsByKey } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';

/**
 * Compare-and-set winners: of the conditional writes that expected one version of a key, at most one may
 * succeed. Every write value is unique, so a version once replaced never comes back, and two acknowledged cas
 * operations that both expected value X both claimed to replace X — one of them replaced something that was
 * already gone. (Under vector clocks both survive as siblings, so lost-writes and stale-reads see nothing wrong;
 * the linearizability checker rejects such a history too, but it rejects every sibling read as well, so in
 * vclock mode it cannot single this out.)
 *
 * Only `ok` cas operations count (an `info` one may or may not have won), and only those that expected a value:
 * "expected absent" can legitimately win once per delete. Figures: cas operations acknowledged, versions two or
 * more of them won (`doubleWins`), and the most winners one version had. Verdict `fail` on any double win.
 *
 * What dynalab promises: conditional writes meet at the key's first healthy owner and take turns there, so one
 * winner per version while every entry node agrees who that owner is — no partition, crash or ring change in
 * flight (README, "Conditional writes meet at the key's first healthy owner").
 */
export interface CasWinnersOptions {
  maxCounterexamples?: number;
}

export function checkCasWinners(history: readonly HistoryEvent[], options: CasWinnersOptions = {}): CheckerResult {
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let acknowledged = 0;
  let doubleWins = 0;
  let mostWinners = 0;
  for (const [key, operations] of operationsByKey(history)) {
    const winnersOf = new Map<string, HistoryEvent[]>();
    for (const operation of operations) {
      if (operation.f !== 'cas' || operation.outcome !== 'ok') continue;
      acknowledged++;
      const expected = operation.invoke.expected;
      if (typeof expected !== 'string') continue;
      const winners = winnersOf.get(expected) ?? [];
      winners.push(operation.invoke);
      winnersOf.set(expected, winners);
    }
    for (const [expected, winners] of winnersOf) {
      if (winners.length < 2) continue;
      doubleWins++;
      mostWinners = Math.max(mostWinners, winners.length);
      counterexamples.add(
        key,
        winners.map((w) => w.index),
        `${winners.length} cas operations expecting ${expected} all succeeded: ${winners.map((w) => `${w.value} (process ${w.process}, event ${w.index})`).join(', ')}`,
      );
    }
  }
  return {
    checker: 'cas-winners',
    verdict: doubleWins > 0 ? 'fail' : 'ok',
    summary:
      doubleWins === 0
        ? `every version was replaced by at most one of ${acknowledged} acknowledged cas operations`
        : `${doubleWins} versions were replaced by two or more acknowledged cas operations (up to ${mostWinners}), of ${acknowledged}`,
    counterexamples: counterexamples.kept,
    figures: { acknowledged, doubleWins, mostWinners },
  };
}
