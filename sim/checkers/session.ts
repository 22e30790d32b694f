import type { HistoryEvent } from '../history';
import type { CheckedOperation } from './operations';
import { AckedFrontier } from './acked-frontier';
import { describeWrite, operationsByKey, showValues } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import type { ConflictMode, WriteRecord } from './supersession';
import { KeyWrites } from './supersession';

/**
 * Session guarantees per client process and key (Terry et al.), the two a Dynamo client most often assumes:
 *
 * - **Read your writes**: after a process's own write W is acknowledged, each of its later reads must reflect
 *   W (show it, or show something that supersedes it; supersession.ts).
 * - **Monotonic reads**: a process's reads never go back in time. A later read R2 violates it when
 *   (a) it shows a value that something an earlier read showed causally supersedes (strictly older), or
 *   (b) it fails to reflect a write an earlier read showed (the earlier value vanished with nothing newer in
 *   its place — e.g. a found key reads "not found" again without any delete that could explain it).
 *
 * "Later" is process order: a process has one operation in flight, so history order is its program order
 * (a read invoked the very µs the process's own write returned comes after that write).
 * In LWW mode supersession includes "not completed before W was invoked" (the newer write may have won), so
 * a session is only accused when it sees a write that finished before the one it is owed even started. That
 * rule is pairwise; one session also commits the store to one timestamp order: having read X and then Y ≠ X,
 * it has seen ts(Y) > ts(X), so reading X again (c) goes back in time whatever the writes' intervals were
 * (found by the checker review: A, B, A passed).
 *
 * Figures carry the two sub-verdicts (`readYourWritesOk`, `monotonicReadsOk`: 1 or 0) and violation counts
 * (each violating read counted once per guarantee); the verdict fails if either fails.
 */
export interface SessionOptions {
  mode: ConflictMode;
  maxCounterexamples?: number;
}

interface SessionState {
  ownAcked: WriteRecord[];
  /** Writes whose values earlier reads showed, with the read that showed each first. */
  observed: Map<number, CheckedOperation>;
  /** Strict causal ancestors of everything observed: values that must never be read again. */
  superseded: Set<number>;
  /** Observed writes no acknowledged write covers yet: the ones the fast path must still test. */
  open: WriteRecord[];
  /** LWW: the write the last single-value read showed, and those shown before it and then replaced. */
  lastShown: WriteRecord | undefined;
  leftBehind: Set<number>;
}

/**
 * Records what a read showed. Only values the read certainly showed become observations: a delete "explains"
 * an empty read only as a possibility (it may be an info delete that never happened), and holding a
 * possibility against a later read would accuse a correct store. So a value that comes back after a delete is
 * not a monotonic-read violation here; lost-writes and stale-reads catch it when the delete was acknowledged.
 */
function observe(writes: KeyWrites, session: SessionState, read: CheckedOperation, fresh: readonly WriteRecord[]): void {
  for (const w of fresh) {
    session.observed.set(w.id, read);
    session.open.push(w);
  }
  // `superseded` is closed under ancestors, so the walk stops at anything already in it: O(writes) per
  // session overall rather than per read.
  const stack = fresh.flatMap((w) => w.parents);
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (session.superseded.has(id)) continue;
    session.superseded.add(id);
    stack.push(...(writes.writes[id] as WriteRecord).parents);
  }
}

export function checkSession(history: readonly HistoryEvent[], options: SessionOptions): CheckerResult {
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let reads = 0;
  let rywViolations = 0;
  let monotonicViolations = 0;
  for (const [key, operations] of operationsByKey(history)) {
    const writes = new KeyWrites(key, operations, options.mode);
    const recordOf = new Map<CheckedOperation, WriteRecord>(writes.writes.map((w) => [w.operation, w]));
    const sessions = new Map<number, SessionState>();
    const frontier = new AckedFrontier(writes);
    for (const operation of operations) {
      let session = sessions.get(operation.process);
      if (session === undefined) {
        session = { ownAcked: [], observed: new Map(), superseded: new Set(), open: [], lastShown: undefined, leftBehind: new Set() };
        sessions.set(operation.process, session);
      }
      if (operation.isWrite) {
        const record = recordOf.get(operation);
        if (record !== undefined && operation.outcome === 'ok') session.ownAcked.push(record);
        continue;
      }
      if (operation.outcome !== 'ok' || operation.final) continue; // the final read phase is not a client session's read
      reads++;
      const values = operation.readValues as string[];
      const completeTime = (operation.completion as HistoryEvent).time;
      const shown = values.map((v) => writes.writeOf(v)).filter((w): w is WriteRecord => w !== undefined);
      const fresh = shown.filter((w) => !session.observed.has(w.id));
      const older = shown.find((w) => session.superseded.has(w.id) && !session.observed.has(w.id));
      // LWW, rule (c): a value this session read, then saw replaced, is back.
      const single = options.mode === 'lww' && values.length === 1 ? shown[0] : undefined;
      const flippedBack = single !== undefined && session.leftBehind.has(single.id) ? single : undefined;
      if (single !== undefined) {
        if (session.lastShown !== undefined && session.lastShown !== single) session.leftBehind.add(session.lastShown.id);
        session.lastShown = single;
      }
      // The process's own latest write, if it returned the very µs this read was invoked: the frontier below
      // takes in only writes acknowledged strictly before, so the fast path must look at it itself.
      const lastOwn = session.ownAcked[session.ownAcked.length - 1];
      const ownAtInvoke = lastOwn !== undefined && lastOwn.okTime >= operation.invoke.time ? lastOwn : undefined;

      // Fast path (acked-frontier.ts): if the read reflects the frontier of acknowledged writes it reflects every
      // acknowledged write, own ones included; observed writes an acknowledged write covers are then reflected
      // too, so only the uncovered observations need a look. Anything unsure takes the full pass below.
      frontier.advanceTo(operation.invoke.time);
      session.open = session.open.filter((w) => !frontier.isCovered(w));
      const quick =
        older === undefined &&
        flippedBack === undefined &&
        (ownAtInvoke === undefined || writes.certainlyReflects(ownAtInvoke, values, completeTime)) &&
        frontier.readReflectsAll(values, completeTime) &&
        session.open.every((w) => writes.certainlyReflects(w, values, completeTime));
      if (quick) {
        observe(writes, session, operation, fresh);
        continue;
      }
      const isReflected = writes.reflected(writes.explainers(values, completeTime));

      const missedOwn = session.ownAcked.find((w) => !isReflected(w.id));
      if (missedOwn !== undefined) {
        rywViolations++;
        counterexamples.add(
          key,
          [missedOwn.operation.invoke.index, missedOwn.operation.completion?.index, operation.invoke.index, operation.completion?.index],
          `read-your-writes: process ${operation.process} read ${showValues(values)} after its own ${describeWrite(missedOwn.operation)} ` +
            `was acknowledged, and nothing it read supersedes that write`,
        );
      }

      let vanished: [number, CheckedOperation] | undefined;
      if (older === undefined && flippedBack === undefined) {
        for (const seen of session.observed) {
          if (!isReflected(seen[0])) {
            vanished = seen;
            break;
          }
        }
      }
      if (older !== undefined || flippedBack !== undefined || vanished !== undefined) {
        monotonicViolations++;
        if (flippedBack !== undefined) {
          const firstShown = session.observed.get(flippedBack.id);
          counterexamples.add(
            key,
            [firstShown?.invoke.index, operation.invoke.index, operation.completion?.index],
            `monotonic reads (lww): process ${operation.process} read ${flippedBack.value} again after a later read of its had shown another value ` +
              `in its place; one timestamp order cannot put ${flippedBack.value} both below and above that value`,
          );
        } else if (older !== undefined) {
          counterexamples.add(
            key,
            [older.operation.invoke.index, operation.invoke.index, operation.completion?.index],
            `monotonic reads: process ${operation.process} read ${showValues(values)}, but ${older.value} is superseded by what it had already read`,
          );
        } else {
          const [id, earlier] = vanished as [number, CheckedOperation];
          const write = writes.writes[id] as WriteRecord;
          counterexamples.add(
            key,
            [earlier.invoke.index, earlier.completion?.index, operation.invoke.index, operation.completion?.index],
            `monotonic reads: process ${operation.process} read ${showValues(earlier.readValues as string[])} (event ${earlier.completion?.index}) ` +
              `then ${showValues(values)}, which neither shows ${describeWrite(write.operation)} nor anything superseding it`,
          );
        }
      }

      observe(writes, session, operation, fresh);
    }
  }
  const rywOk = rywViolations === 0;
  const monotonicOk = monotonicViolations === 0;
  const figures = {
    reads,
    readYourWritesOk: rywOk ? 1 : 0,
    readYourWritesViolations: rywViolations,
    monotonicReadsOk: monotonicOk ? 1 : 0,
    monotonicReadsViolations: monotonicViolations,
  };
  const parts = [
    rywOk ? 'read-your-writes held' : `read-your-writes violated by ${rywViolations} reads`,
    monotonicOk ? 'monotonic reads held' : `monotonic reads violated by ${monotonicViolations} reads`,
  ];
  return {
    checker: 'session',
    verdict: rywOk && monotonicOk ? 'ok' : 'fail',
    summary: `${parts.join('; ')} (${reads} reads, ${options.mode} mode)`,
    counterexamples: counterexamples.kept,
    figures,
  };
}
