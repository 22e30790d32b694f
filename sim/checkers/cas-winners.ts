import type { HistoryEvent } from '../history';
import type { CheckedOperation } from './operations';
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
 * "Expected absent" is the one version that does come back: a key starts absent and a delete can make it absent
 * again, so a cas expecting absence may win once at the start and once more after each delete — never twice
 * with no delete between the two (found by a review: two absent-expecting winners on a fresh key passed). See
 * absenceOverWon for how "between" is judged from the operations' intervals.
 *
 * Only `ok` cas operations count (an `info` one may or may not have won); a delete counts unless it `fail`ed
 * (an `info` or unanswered one may have taken effect, at any time after its invoke). Figures: cas operations
 * acknowledged, findings (`doubleWins`: versions two or more of them won, plus keys whose absences were won more
 * often than the deletes allow), and the most winners one version had (for an absence, the fewest its worst
 * stretch of winners implies: winners shared out over the absences the deletes could have made). Verdict
 * `fail` on any finding.
 *
 * What dynalab promises: conditional writes meet at the key's first healthy owner and take turns there, so one
 * winner per version while every entry node agrees who that owner is — no partition, crash or ring change in
 * flight (README, "Conditional writes meet at the key's first healthy owner"). The absent etag is an etag like
 * any other there, so the same promise covers it.
 *
 * What the absence check assumes, like the version check: an acknowledged winner's value stays until a delete
 * removes it. A win lost some other way (a crash, or under LWW an earlier delete from a node whose clock runs
 * ahead) makes the key absent again, and the next winner shows here as a second one — as a lost win under a
 * value shows as a double win of that value; lost-writes reports the loss itself. Expiry would make a key absent
 * too, but histories record no TTL and the workload writes none; a history whose writes expire would need its
 * expiries counted as deletes.
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
    const absentWinners: CheckedOperation[] = [];
    const removals: CheckedOperation[] = [];
    for (const operation of operations) {
      if (operation.f === 'delete' && operation.outcome !== 'fail') removals.push(operation);
      if (operation.f !== 'cas' || operation.outcome !== 'ok') continue;
      acknowledged++;
      const expected = operation.invoke.expected;
      // null is "expected absent"; undefined (an older history's cas with no expectation) expected nothing.
      if (expected === null) absentWinners.push(operation);
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
    const overWon = absenceOverWon(absentWinners, removals);
    if (overWon === undefined) continue;
    doubleWins++;
    const { winners, deletes } = overWon;
    mostWinners = Math.max(mostWinners, Math.ceil(winners.length / (deletes.length + 1)));
    const between = deletes.length === 0
      ? 'with no delete that could have made the key absent again between them'
      : `with only ${deletes.length} ${deletes.length === 1 ? 'delete' : 'deletes'} (${deletes.map((d) => `event ${d.invoke.index}${d.outcome === 'ok' ? '' : `, ${d.outcome}`}`).join('; ')}) that could have made the key absent again between them`;
    counterexamples.add(
      key,
      [...winners, ...deletes].map((o) => o.invoke.index),
      `${winners.length} cas operations expecting absent all succeeded: ${winners.map((w) => `${w.invoke.value} (process ${w.process}, event ${w.invoke.index})`).join(', ')}, ${between}`,
    );
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

/**
 * Whether a key's absences were won more often than its deletes allow, and if so the worst stretch: the
 * winners inside it and the deletes that could have taken effect inside it.
 *
 * Each winner took effect at some instant between its invoke and its completion, and between two consecutive
 * winners (in that order) some delete of its own took effect — at an instant between its invoke and its
 * completion, or any time after its invoke if it is `info` or never answered. So for any stretch of time
 * [s, e], the winners that lie wholly inside it need, one fewer than their number, deletes that could have
 * taken effect inside it: invoked by e and not completed before s. Fewer is a violation whatever order the
 * winners and deletes took effect in, so concurrent operations never produce a false failure; and a delete is
 * one removal wherever it lands, so one timed-out delete cannot excuse every later winner. The stretches tried
 * are every winner's invoke to every later winner's completion (the tightest around each set of winners).
 * Ties count in the history's favour (a delete that ends the instant a stretch begins still counts).
 *
 * The worst stretch is the one with the most winners beyond what its deletes allow; among those, the fewest
 * winners, then the earliest — the smallest story a person has to read. Quadratic in the key's absent-expecting
 * winners, which a correct store keeps at one more than its deletes.
 */
function absenceOverWon(
  winners: readonly CheckedOperation[],
  removals: readonly CheckedOperation[],
): { winners: CheckedOperation[]; deletes: CheckedOperation[] } | undefined {
  if (winners.length < 2) return undefined;
  const endOf = (operation: CheckedOperation): number => (operation.outcome === 'ok' ? operation.completion!.time : Number.POSITIVE_INFINITY);
  const byCompletion = [...winners].sort((a, b) => a.completion!.time - b.completion!.time);
  const removalInvokes = removals.map((r) => r.invoke.time).sort((a, b) => a - b);
  const removalEnds = removals.map(endOf).sort((a, b) => a - b);
  const starts = [...new Set(winners.map((w) => w.invoke.time))].sort((a, b) => a - b);
  let worst: { excess: number; inside: number; start: number; end: number } | undefined;
  for (const start of starts) {
    // Deletes that ended before the stretch began cannot have removed anything inside it.
    const endedBefore = countBelow(removalEnds, start);
    let inside = 0;
    for (const winner of byCompletion) {
      if (winner.invoke.time < start) continue;
      inside++;
      if (inside < 2) continue;
      const end = winner.completion!.time;
      // A delete invoked after e cannot either; the two groups never overlap (a delete invoked after e ≥ s
      // ends after s), so the rest could have taken effect inside [s, e].
      const possible = removals.length - endedBefore - (removalInvokes.length - countBelow(removalInvokes, end, true));
      const excess = inside - 1 - possible;
      if (excess <= 0) continue;
      if (worst === undefined || excess > worst.excess || (excess === worst.excess && (inside < worst.inside || (inside === worst.inside && end < worst.end)))) {
        worst = { excess, inside, start, end };
      }
    }
  }
  if (worst === undefined) return undefined;
  const { start, end } = worst;
  return {
    winners: winners.filter((w) => w.invoke.time >= start && w.completion!.time <= end),
    deletes: removals.filter((r) => r.invoke.time <= end && endOf(r) >= start),
  };
}

/** How many of the ascending `sorted` are below `limit` (with `inclusive`, at or below it). */
function countBelow(sorted: readonly number[], limit: number, inclusive = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < limit || (inclusive && sorted[middle] === limit)) low = middle + 1;
    else high = middle;
  }
  return low;
}
