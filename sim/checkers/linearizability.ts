import type { HistoryEvent } from '../history';
import type { CheckedOperation } from './operations';
import { operationsByKey, showValues } from './operations';
import type { RegisterOp, RegisterState } from './register-model';
import { describeRegisterOp, stateKey, stepRegister } from './register-model';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import { LinearizedSet } from './linearized-set';

/**
 * Per-key linearizability: is there a total order of each key's operations, consistent with real time (an
 * operation that completed before another was invoked comes first), in which every operation behaves as on
 * the register of register-model.ts? Keys are independent registers, so the history is decomposed per key
 * (linearizability is compositional) and each key is searched alone.
 *
 * The search is Wing & Gong's, with Lowe's just-in-time linearization and memoization (as in Porcupine): walk
 * the time-ordered list of call/return entries; at a call, try to linearize that operation now (apply it to
 * the model, lift its call and return out of the list, restart from the head); at a return whose operation
 * is not yet linearized, the current prefix cannot be extended — backtrack. A memo of (set of linearized
 * operations, register state) prunes configurations already explored: from the same set and state the rest
 * of the search is identical.
 *
 * Ties: operations of different processes that touch at one instant (one returns the µs the other is invoked)
 * are concurrent, the lenient reading; one process's own operations are ordered even then (it runs one at a
 * time), so its next operation comes after its previous `ok` one.
 *
 * What goes in, per key:
 * - `ok` operations must be linearized, between their invoke and completion.
 * - `info` and never-completed writes may take effect at any point after their invoke, or never: they have
 *   no return entry, and the search succeeds once every `ok` operation is linearized.
 * - `fail`ed operations certainly did not happen and are dropped; so are gets without an `ok` (a read that
 *   returned nothing tells nothing).
 * - A get returning two or more siblings is a violation by itself (a register holds one value).
 * - A cas without `expected` (older histories) is treated as an unconditional put.
 * - Uncertain writes nothing observed are dropped first (dropUnobservedUncertainWrites: provably harmless).
 *
 * Budget. The simulator's world may not read wall time (sim/ is deterministic), so the "time budget" is a
 * **step budget**: one step is one iteration of the search loop. A key that exhausts `maxStepsPerKey`, or any
 * key reached after the whole run exhausted `maxSteps`, is `unknown` — never `ok`. The same history and budget
 * always give the same verdict.
 *
 * Counterexample: the search's deepest point (the most operations it ever linearized). There, the earliest
 * pending return belongs to an operation that cannot be placed; the window is that operation, the operations
 * that could have preceded it (the candidates the search tried), and the operation that set the register's
 * state at that point.
 */
export interface LinearizabilityOptions {
  /** Search steps allowed for one key (default 1 000 000). */
  maxStepsPerKey?: number;
  /** Search steps allowed over all keys together (default 20 000 000). */
  maxSteps?: number;
  maxCounterexamples?: number;
}

export const DEFAULT_MAX_STEPS_PER_KEY = 1_000_000;
export const DEFAULT_MAX_STEPS = 20_000_000;
/** Most operations a counterexample window lists (the nearest candidates are kept). */
const MAX_WINDOW = 12;

interface SearchOp {
  model: RegisterOp;
  source: CheckedOperation;
  /** `ok`: must be linearized. Otherwise it may or may not have taken effect. */
  required: boolean;
}

interface Entry {
  op: number;
  call: boolean;
  time: number;
  prev: Entry | null;
  next: Entry | null;
  /** On a call entry: its return entry (absent for operations that may never take effect). */
  match: Entry | null;
}

type KeySearch =
  | { verdict: 'ok' | 'unknown'; steps: number }
  | { verdict: 'fail'; steps: number; events: number[]; explanation: string };

export function checkLinearizability(history: readonly HistoryEvent[], options: LinearizabilityOptions = {}): CheckerResult {
  const maxStepsPerKey = options.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  for (const [name, value] of [['maxStepsPerKey', maxStepsPerKey], ['maxSteps', maxSteps]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`linearizability: ${name} must be a non-negative integer, got ${value}`);
  }
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let stepsLeft = maxSteps;
  let keys = 0;
  let keysOk = 0;
  let keysFailed = 0;
  let keysUnknown = 0;
  let operations = 0;
  let siblingReads = 0;
  const unknownKeys: string[] = [];
  for (const [key, keyOperations] of operationsByKey(history)) {
    keys++;
    const ops: SearchOp[] = [];
    let siblingRead: CheckedOperation | undefined;
    for (const source of keyOperations) {
      const op = toSearchOp(source);
      if (op === 'sibling') {
        siblingReads++;
        siblingRead ??= source;
      } else if (op !== undefined) {
        ops.push(op);
      }
    }
    const searched = dropUnobservedUncertainWrites(ops);
    operations += searched.length;
    if (siblingRead !== undefined) {
      keysFailed++;
      counterexamples.add(
        key,
        [siblingRead.invoke.index, siblingRead.completion?.index],
        `get returned ${(siblingRead.readValues as string[]).length} siblings ${showValues(siblingRead.readValues as string[])}; a linearizable register holds one value`,
      );
      continue;
    }
    const budget = Math.min(maxStepsPerKey, stepsLeft);
    const outcome = searchKey(key, searched, budget);
    stepsLeft -= outcome.steps;
    if (outcome.verdict === 'fail') {
      keysFailed++;
      counterexamples.add(key, outcome.events, outcome.explanation);
    } else if (outcome.verdict === 'unknown') {
      keysUnknown++;
      unknownKeys.push(key);
    } else {
      keysOk++;
    }
  }
  const figures = { keys, keysOk, keysFailed, keysUnknown, operations, siblingReads, steps: maxSteps - stepsLeft };
  const verdict = keysFailed > 0 ? 'fail' : keysUnknown > 0 ? 'unknown' : 'ok';
  const unknownNote =
    keysUnknown > 0
      ? `${keysUnknown} keys undecided within the step budget (${maxStepsPerKey}/key, ${maxSteps} total): ${unknownKeys.slice(0, 5).join(', ')}${keysUnknown > 5 ? ', …' : ''}`
      : '';
  const summary =
    verdict === 'fail'
      ? `${keysFailed} of ${keys} keys not linearizable` + (unknownNote ? `; ${unknownNote}` : '')
      : verdict === 'unknown'
        ? unknownNote
        : `all ${keys} keys linearizable (${operations} operations, ${figures.steps} search steps)`;
  return { checker: 'linearizability', verdict, summary, counterexamples: counterexamples.kept, figures };
}

/** The operation as the search sees it; `undefined` = drop; `'sibling'` = a get with several values. */
function toSearchOp(source: CheckedOperation): SearchOp | undefined | 'sibling' {
  if (source.outcome === 'fail') return undefined;
  const required = source.outcome === 'ok';
  const invoke = source.invoke;
  switch (source.f) {
    case 'get': {
      if (!required) return undefined;
      const values = source.readValues as string[];
      if (values.length > 1) return 'sibling';
      return { model: { kind: 'get', result: values[0] ?? null }, source, required };
    }
    case 'delete':
      return { model: { kind: 'delete' }, source, required };
    case 'put':
    case 'cas': {
      if (typeof invoke.value !== 'string') throw new Error(`history event ${invoke.index}: ${source.f} must write a string value`);
      if (source.f === 'cas' && invoke.expected !== undefined) {
        return { model: { kind: 'cas', expected: invoke.expected, value: invoke.value }, source, required };
      }
      return { model: { kind: 'put', value: invoke.value }, source, required };
    }
  }
}

/**
 * Drops uncertain (info / never-completed) writes whose effect nothing could have observed: a put or cas whose
 * value no get returned and no cas expected, or — when no get returned "absent" and no cas expected absence — a
 * delete. They never need to be linearized: in any valid order containing such a write W, the operation right
 * after W cannot be a read (it would observe W) or a cas (it would expect W's result), so it is a put or delete
 * that ignores the state W left; removing W leaves every later state unchanged. Dropping them matters because
 * uncertain writes never leave the entry list (they have no return), so each one otherwise costs a step on
 * every rescan, and a branch of the search everywhere after its invoke.
 */
function dropUnobservedUncertainWrites(ops: readonly SearchOp[]): SearchOp[] {
  const observed = new Set<string>();
  let absenceObserved = false;
  for (const { model } of ops) {
    if (model.kind === 'get') {
      if (model.result === null) absenceObserved = true;
      else observed.add(model.result);
    } else if (model.kind === 'cas') {
      if (model.expected === null) absenceObserved = true;
      else observed.add(model.expected);
    }
  }
  return ops.filter(({ model, required }) => {
    if (required) return true;
    if (model.kind === 'delete') return absenceObserved;
    if (model.kind === 'put' || model.kind === 'cas') return observed.has(model.value);
    return true;
  });
}

function buildEntries(ops: readonly SearchOp[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, index) => {
    const call: Entry = { op: index, call: true, time: op.source.invoke.time, prev: null, next: null, match: null };
    entries.push(call);
    if (op.required) {
      const ret: Entry = { op: index, call: false, time: (op.source.completion as HistoryEvent).time, prev: null, next: null, match: null };
      call.match = ret;
      entries.push(ret);
    }
  });
  // Time order; within one instant calls before returns, so operations touching at an instant are concurrent
  // (the lenient reading: a return orders only calls strictly after it). One process's own operations touching
  // at an instant are ordered all the same, by `follows` in the search, not here: a global order of entries
  // that put a process's return before its own next call would put it before every other process's call at
  // that instant too (found by the checker review: a read invoked the µs another process's write returned
  // was refused the value that write replaced). Then by operation, for determinism: a total order, as the
  // determinism rules require; a zero-length operation's call still precedes its return.
  entries.sort((a, b) => a.time - b.time || (a.call ? 0 : 1) - (b.call ? 0 : 1) || a.op - b.op);
  const head: Entry = { op: -1, call: true, time: Number.NEGATIVE_INFINITY, prev: null, next: null, match: null };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

/**
 * For each operation, the operation of the same process it must be linearized after (-1 for none): the
 * process's latest earlier `ok` operation on this key. One process runs one operation at a time, so that one
 * completed before this one was invoked — at the same instant at the latest, which the entry order leaves
 * concurrent (see buildEntries), hence this (found by the checker review: a process's read invoked the µs its
 * own write returned was let see the value that write replaced). Earlier `ok` operations of the process follow
 * by induction (that one was placed after them). Uncertain operations order nothing after them: they have no
 * known completion and may take effect later, so a timed-out write does not hold back the process's next op.
 * Operations are numbered in invoke order, and a process's invokes on a key come in its program order.
 */
function sameProcessPredecessors(ops: readonly SearchOp[]): Int32Array {
  const follows = new Int32Array(ops.length).fill(-1);
  const lastOkOfProcess = new Map<number, number>();
  ops.forEach((op, index) => {
    const process = op.source.process;
    follows[index] = lastOkOfProcess.get(process) ?? -1;
    if (op.required) lastOkOfProcess.set(process, index);
  });
  return follows;
}

function lift(entry: Entry): void {
  (entry.prev as Entry).next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
  const ret = entry.match;
  if (ret !== null) {
    (ret.prev as Entry).next = ret.next;
    if (ret.next !== null) ret.next.prev = ret.prev;
  }
}

/** Exactly undoes `lift` (return first, then call: the reverse order). */
function unlift(entry: Entry): void {
  const ret = entry.match;
  if (ret !== null) {
    (ret.prev as Entry).next = ret;
    if (ret.next !== null) ret.next.prev = ret;
  }
  (entry.prev as Entry).next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}

function searchKey(key: string, ops: readonly SearchOp[], budget: number): KeySearch {
  const n = ops.length;
  const head = buildEntries(ops);
  const follows = sameProcessPredecessors(ops);
  const placed = new LinearizedSet(n);
  const memo = new Map<string, Int32Array[]>();
  /** Records (placed set, state); false if that configuration was already explored. Hash hits are verified. */
  const remember = (s: RegisterState): boolean => {
    const memoKey = `${placed.hashA}.${placed.hashB}.${stateKey(s)}`;
    const seen = memo.get(memoKey);
    if (seen === undefined) {
      memo.set(memoKey, [placed.snapshot()]);
      return true;
    }
    for (const other of seen) if (placed.matches(other)) return false;
    seen.push(placed.snapshot());
    return true;
  };

  let state: RegisterState = null;
  const stack: { entry: Entry; before: RegisterState }[] = [];
  let required = ops.filter((op) => op.required).length;
  let entry: Entry | null = head.next;
  let steps = 0;
  let deepest: Deepest | undefined;

  while (required > 0) {
    if (steps >= budget) return { verdict: 'unknown', steps };
    steps++;
    // Invariant: while a required operation is unlinearized its return entry is in the list, so the walk
    // meets a return before running off the end.
    if (entry === null) throw new Error(`linearizability(${key}): search walked past the last entry with ${required} required operations left`);
    if (entry.call) {
      const op = ops[entry.op] as SearchOp;
      // Its process's previous operation is not placed yet: it cannot go now (that one goes first). Skipping
      // it keeps the walk exact: the operations tried at this point are precisely those nothing unplaced must
      // precede, and that depends on the placed set alone, so the memo stays sound.
      const predecessor = follows[entry.op] as number;
      const next: RegisterState | undefined = predecessor >= 0 && !placed.has(predecessor) ? undefined : stepRegister(state, op.model);
      if (next !== undefined) {
        placed.add(entry.op);
        if (remember(next)) {
          stack.push({ entry, before: state });
          state = next;
          lift(entry);
          if (op.required) required--;
          entry = head.next;
          continue;
        }
        placed.remove(entry.op);
      }
      entry = entry.next;
    } else {
      // A return whose operation is not linearized: nothing before it can be placed differently from here.
      if (deepest === undefined || stack.length > deepest.linearized) {
        const candidates: number[] = [];
        for (let e = head.next; e !== null && e !== entry; e = e.next) if (e.call) candidates.push(e.op);
        // The operation that gave the register its current state: the last placed write (gets change nothing).
        // The reads placed after it are the evidence that pins the state (they saw it).
        let setter: number | undefined;
        const witnesses: number[] = [];
        for (let i = stack.length - 1; i >= 0 && setter === undefined; i--) {
          const placed = (stack[i] as { entry: Entry }).entry.op;
          if ((ops[placed] as SearchOp).model.kind !== 'get') setter = placed;
          else witnesses.unshift(placed);
        }
        deepest = { linearized: stack.length, blocking: entry.op, candidates, state, setter, witnesses };
      }
      const top = stack.pop();
      if (top === undefined) break;
      const op = ops[top.entry.op] as SearchOp;
      state = top.before;
      placed.remove(top.entry.op);
      unlift(top.entry);
      if (op.required) required++;
      entry = top.entry.next;
    }
  }
  if (required === 0) return { verdict: 'ok', steps };
  if (deepest === undefined) throw new Error(`linearizability(${key}): failed without reaching a blocking return`);
  return { verdict: 'fail', steps, ...explainFailure(ops, deepest) };
}

/** Where the search got furthest: what it had placed, and the operation it could not place next. */
interface Deepest {
  linearized: number;
  /** The operation whose return was reached unplaced. */
  blocking: number;
  /** Unplaced operations invoked before that return (the ones the search tried to put first). */
  candidates: number[];
  state: RegisterState;
  /** The last placed write (it set `state`); undefined if the register still held its initial state. */
  setter: number | undefined;
  /** Reads placed after `setter`: they observed `state`. */
  witnesses: number[];
}

function explainFailure(ops: readonly SearchOp[], deepest: Deepest): { events: number[]; explanation: string } {
  // The nearest candidates in time are the interesting ones; far-back info writes that never took effect are noise.
  const witnesses = deepest.witnesses.slice(-3);
  const room = Math.max(0, MAX_WINDOW - 2 - witnesses.length);
  const candidates = room === 0 ? [] : deepest.candidates.filter((i) => i !== deepest.blocking).slice(-room);
  const window = [...new Set([...(deepest.setter === undefined ? [] : [deepest.setter]), ...witnesses, ...candidates, deepest.blocking])];
  const events: number[] = [];
  for (const i of window) {
    const source = (ops[i] as SearchOp).source;
    events.push(source.invoke.index);
    if (source.completion !== undefined) events.push(source.completion.index);
  }
  const name = (i: number) => {
    const source = (ops[i] as SearchOp).source;
    const span = source.completion === undefined ? `event ${source.invoke.index}, no completion` : `events ${source.invoke.index}–${source.completion.index}`;
    return `${describeRegisterOp((ops[i] as SearchOp).model)} (${span})`;
  };
  const register = deepest.state === null ? 'absent' : deepest.state;
  const how =
    (deepest.setter === undefined ? 'initially' : `after ${name(deepest.setter)}`) +
    (witnesses.length > 0 ? `, seen by ${witnesses.map(name).join(', ')}` : '');
  const others = deepest.candidates.filter((i) => i !== deepest.blocking).length;
  const explanation =
    `${name(deepest.blocking)} cannot be linearized: with ${deepest.linearized} of ${ops.length} operations placed the register is ` +
    `${register} (${how}), and ` +
    (others === 0
      ? 'no other operation can still come before it'
      : `no order of the ${others} operations that could still come before it (${candidates.map(name).join('; ')}${others > candidates.length ? '; …' : ''}) makes it valid`);
  return { events, explanation };
}
