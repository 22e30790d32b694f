import type { CheckerResult } from './result';
import { CounterexampleList } from './result';

/**
 * Membership changes finished: every join and leave the run started has copied its data, switched the ring and
 * run its catch-up pass by the end of the run (core/membership/membership.ts, steps 1–4). A change still
 * waiting is wedged — a replica of its arcs down for good, or one whose storage failed and was never
 * restarted — and the ring stays in transition: the new owner never takes over, or the leaver can never be
 * shut down. Like convergence, it judges what the run measured (the membership figures), not the history.
 *
 * A join or leave the scenario asked for that could not be made at all (the node was down — a crash by count
 * picked it — or no member was up to join through) is `skipped`: the nemesis logs and skips it rather than end
 * the run, and this check fails on it, naming it — the run did not show what the scenario asked (found by a
 * review: a skipped leave passed with "all 1 joins and leaves finished"). `dynalab check` does not pass skipped
 * changes: a drawn schedule the cluster cannot make is not a broken promise.
 *
 * Verdicts: `fail` if any change has not finished or was skipped; `ok` otherwise, also when the run made no
 * change (figures count the changes, so a run without any says so).
 */
export interface SkippedMembershipChange {
  kind: 'join' | 'leave';
  node: string;
  atSeconds: number;
  reason: string;
}

export interface MembershipChangeFigure {
  kind: 'join' | 'leave';
  node: string;
  atSeconds: number;
  /** Seconds from announcement to the ring switch; null if it never switched. */
  totalSeconds: number | null;
  /** Seconds from announcement to the end of the catch-up pass; null if it never ended. */
  caughtUpSeconds: number | null;
}

/**
 * `finalReadsStartSeconds`: a change that finished (catch-up included) only after the final read phase began is
 * judged unfinished — the final reads, the other checkers' evidence, ran before it had moved everything (found
 * by a scenario fuzzer: writes a leave's catch-up pass had not yet carried were "lost" while this check, taking
 * its figures after the final reads, said every change had finished).
 */
export function checkMembership(changes: readonly MembershipChangeFigure[], skipped: readonly SkippedMembershipChange[] = [], finalReadsStartSeconds = Infinity): CheckerResult {
  const counterexamples = new CounterexampleList();
  for (const change of skipped) {
    counterexamples.add(change.node, [], `the ${change.kind} of ${change.node} asked at ${change.atSeconds.toFixed(1)} s was never made: ${change.reason}`);
  }
  let unfinished = 0;
  for (const change of changes) {
    const late = change.caughtUpSeconds !== null && change.atSeconds + change.caughtUpSeconds > finalReadsStartSeconds;
    if (change.totalSeconds !== null && change.caughtUpSeconds !== null && !late) continue;
    unfinished++;
    const stage =
      change.totalSeconds === null ? 'its copy never finished (the ring never switched)'
      : change.caughtUpSeconds === null ? 'its catch-up pass never finished'
      : `its catch-up pass finished only at ${(change.atSeconds + change.caughtUpSeconds).toFixed(1)} s, after the final reads began at ${finalReadsStartSeconds.toFixed(1)} s`;
    counterexamples.add(change.node, [], `the ${change.kind} of ${change.node} announced at ${change.atSeconds.toFixed(1)} s: ${stage}`);
  }
  const skippedClause = skipped.length === 0 ? '' : `; ${skipped.length} asked for and never made (${skipped.map((c) => `${c.kind} ${c.node}`).join(', ')})`;
  return {
    checker: 'membership',
    verdict: unfinished > 0 || skipped.length > 0 ? 'fail' : 'ok',
    summary:
      (changes.length === 0
        ? 'no membership change in this run'
        : unfinished === 0
          ? `all ${changes.length} joins and leaves finished, catch-up passes included`
          : `${unfinished} of ${changes.length} joins and leaves ${finalReadsStartSeconds === Infinity ? 'never finished' : 'not finished before the final reads began'}`) + skippedClause,
    counterexamples: counterexamples.kept,
    figures: { changes: changes.length, unfinished, skipped: skipped.length },
  };
}
