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
 *   its place — e.g. a found key reads "not found" again without any delete that could explain it), or
 *   (d) it reflects none of the deletes that could explain an earlier read of "not found" taken after the
 *   process had read or written something (see `commitToDeletes`).
 *
 * "Later" is process order: a process has one operation in flight, so history order is its program order
 * (a read invoked the very µs the process's own write returned comes after that write).
 * In LWW mode supersession includes "not completed before W was invoked" (the newer write may have won), so
 * a session is only accused when it sees a write that finished before the one it is owed even started. That
 * rule is pairwise; one session also commits the store to one timestamp order: having read X and then Y ≠ X,
 * it has seen ts(Y) > ts(X), so reading X again (c) goes back in time whatever the writes' intervals were
 * (found by the checker review: A, B, A passed). "Not found" in Y's place counts as well: it showed a delete
 * stamped above X (rule (d)).
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
  /**
   * LWW: the write the last single-value read showed, and those shown before it and then replaced (by another
   * value, or by a delete an empty read showed), each with the read that first showed it replaced.
   */
  lastShown: WriteRecord | undefined;
  leftBehind: Map<number, CheckedOperation>;
  /** What earlier reads of "not found" committed the session to; no proof implies another (see addDeleteProof). */
  deleteProofs: DeleteProof[];
}

/**
 * An empty read that only a delete could explain, and the deletes that could: every later read of the session
 * must reflect at least one of them.
 */
interface DeleteProof {
  read: CheckedOperation;
  deletes: WriteRecord[];
}

/**
 * Records what a read showed. Only values the read certainly showed become observations: a delete "explains"
 * an empty read only as a possibility (it may be an info delete that never happened), so it is not one.
 * What an empty read does prove is kept apart, by `commitToDeletes`.
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

/**
 * Rule (d). A read of "not found" after the session had read or written something: that read reflected every
 * such write (it was checked first), and with nothing shown, only through deletes — so one of the deletes that
 * reflect what it owed was what it showed, or it broke a guarantee itself. Either way a later read that
 * reflects none of them goes back in time (found by the checker review: A, then not found, then A again passed,
 * the only delete being info). A read of "not found" before the session owed anything proves nothing: the key
 * may not have been written yet.
 *
 * Each owed write gives one proof, the deletes that reflect it (`KeyWrites.deletesCovering`): the read showed
 * one of each. Under vclock only writes nothing observed supersedes need one (a delete reflecting a write
 * reflects its ancestors). Under LWW a delete reflects every write invoked up to its latest stamp time, so the
 * owed write invoked last gives the strongest proof and implies the others; and the value last shown was
 * out-stamped by the delete, so, as in rule (c), it must not come back.
 */
function commitToDeletes(writes: KeyWrites, session: SessionState, read: CheckedOperation, completeTime: number): void {
  const owed = [...session.ownAcked];
  for (const id of session.observed.keys()) owed.push(writes.writes[id] as WriteRecord);
  if (owed.length === 0) return;
  if (writes.mode === 'lww') {
    const invokedLast = owed.reduce((latest, w) => (w.invokeTime > latest.invokeTime ? w : latest));
    addDeleteProof(writes, session, { read, deletes: writes.deletesCovering(invokedLast, completeTime) });
    if (session.lastShown !== undefined) {
      if (!session.leftBehind.has(session.lastShown.id)) session.leftBehind.set(session.lastShown.id, read);
      session.lastShown = undefined;
    }
    return;
  }
  for (const write of owed) {
    if (!session.superseded.has(write.id)) addDeleteProof(writes, session, { read, deletes: writes.deletesCovering(write, completeTime) });
  }
}

/**
 * Keeps the session's proofs free of ones another implies, so there are no more than the deletes in play.
 * vclock: each delete is reflected on its own, so a proof implies every proof holding all its deletes. LWW:
 * a read reflecting a delete reflects every delete invoked before it, so one proof, the latest-invoked
 * delete, implies the rest.
 */
function addDeleteProof(writes: KeyWrites, session: SessionState, proof: DeleteProof): void {
  // Empty only if the read itself failed to reflect what it owed, and that was reported; nothing to hold.
  if (proof.deletes.length === 0) return;
  if (writes.mode === 'lww') {
    const held = session.deleteProofs[0]?.deletes[0];
    if (held === undefined || (proof.deletes[0] as WriteRecord).invokeTime > held.invokeTime) session.deleteProofs = [proof];
    return;
  }
  const within = (inner: DeleteProof, outer: DeleteProof) => inner.deletes.every((d) => outer.deletes.includes(d));
  if (session.deleteProofs.some((held) => within(held, proof))) return;
  session.deleteProofs = session.deleteProofs.filter((held) => !within(proof, held));
  session.deleteProofs.push(proof);
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
        session = { ownAcked: [], observed: new Map(), superseded: new Set(), open: [], lastShown: undefined, leftBehind: new Map(), deleteProofs: [] };
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
        if (session.lastShown !== undefined && session.lastShown !== single && !session.leftBehind.has(session.lastShown.id)) {
          session.leftBehind.set(session.lastShown.id, operation);
        }
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
        session.open.every((w) => writes.certainlyReflects(w, values, completeTime)) &&
        session.deleteProofs.every((proof) => proof.deletes.some((d) => writes.certainlyReflects(d, values, completeTime)));
      if (quick) {
        if (values.length === 0) commitToDeletes(writes, session, operation, completeTime);
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
      let forgotten: DeleteProof | undefined;
      if (older === undefined && flippedBack === undefined) {
        for (const seen of session.observed) {
          if (!isReflected(seen[0])) {
            vanished = seen;
            break;
          }
        }
        if (vanished === undefined) forgotten = session.deleteProofs.find((proof) => !proof.deletes.some((d) => isReflected(d.id)));
      }
      const wentBack = older !== undefined || flippedBack !== undefined || vanished !== undefined || forgotten !== undefined;
      if (wentBack) {
        monotonicViolations++;
        if (flippedBack !== undefined) {
          const firstShown = session.observed.get(flippedBack.id);
          const replacedBy = session.leftBehind.get(flippedBack.id) as CheckedOperation;
          const replacement = (replacedBy.readValues as string[]).length === 0 ? 'a delete' : 'another value';
          counterexamples.add(
            key,
            [firstShown?.invoke.index, replacedBy.invoke.index, replacedBy.completion?.index, operation.invoke.index, operation.completion?.index],
            `monotonic reads (lww): process ${operation.process} read ${flippedBack.value} again after its read ${showValues(replacedBy.readValues as string[])} ` +
              `(event ${replacedBy.completion?.index}) had shown ${replacement} in its place; one timestamp order cannot put ${flippedBack.value} both below and above ${replacement === 'a delete' ? 'that delete' : 'that value'}`,
          );
        } else if (older !== undefined) {
          counterexamples.add(
            key,
            [older.operation.invoke.index, operation.invoke.index, operation.completion?.index],
            `monotonic reads: process ${operation.process} read ${showValues(values)}, but ${older.value} is superseded by what it had already read`,
          );
        } else if (forgotten !== undefined) {
          const { read: empty, deletes } = forgotten;
          const shownDeletes = deletes.slice(0, 3);
          counterexamples.add(
            key,
            [empty.invoke.index, empty.completion?.index, ...shownDeletes.map((d) => d.operation.invoke.index), operation.invoke.index, operation.completion?.index],
            `monotonic reads: process ${operation.process} read [] (event ${empty.completion?.index}), which after what it had read or written only a delete could explain ` +
              `(${shownDeletes.map((d) => describeWrite(d.operation)).join(', ')}${deletes.length > shownDeletes.length ? `, and ${deletes.length - shownDeletes.length} more` : ''}), ` +
              `then ${showValues(values)}, which reflects none of them: either that read showed a delete and this one went back before it, or that read lost what it owed`,
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

      if (values.length === 0 && missedOwn === undefined && !wentBack) commitToDeletes(writes, session, operation, completeTime);
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
