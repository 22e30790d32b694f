/**
 * The operation history, in Jepsen's model: every client operation is an `invoke` event followed by exactly
 * one completion — `ok` (it happened), `fail` (it certainly did not happen) or `info` (unknown: it may or may
 * not have taken effect, e.g. a timeout or "quorum not met" after some replicas already stored the write).
 *
 * Written as JSON Lines, one event per line, so outside checkers (and people) can read it:
 *
 *   {"index":0,"process":7,"type":"invoke","f":"put","key":"k3","value":"p7-12","time":1520331,"context":["p7-9"]}
 *   {"index":1,"process":7,"type":"ok","f":"put","key":"k3","value":"p7-12","time":1523904,"node":"n2"}
 *   {"index":2,"process":4,"type":"ok","f":"get","key":"k3","value":["p7-12","p2-3"],"time":1530021,"node":"n9"}
 *
 * Conventions that make the checkers possible:
 * - Every written value is unique in the run (`p<process>-<counter>`), so a read names exactly which writes
 *   it saw.
 * - A get's `value` is the list of sibling values it returned (`[]` = not found or deleted); one value when
 *   there is no conflict.
 * - A put/delete/cas `invoke` carries `context`: the values of the siblings the client had read and whose
 *   causal context it passed back — i.e. the writes this one causally supersedes. A blind write has `[]`.
 * - `time` is true virtual time in microseconds (not a node's skewed clock).
 * - `final: true` marks reads of the final read phase, taken after heal and quiescence.
 */
export type OperationName = 'put' | 'get' | 'delete' | 'cas';
export type CompletionType = 'ok' | 'fail' | 'info';

export interface HistoryEvent {
  index: number;
  process: number;
  type: 'invoke' | CompletionType;
  f: OperationName;
  key: string;
  /** put/cas: the value written; delete: null; get completion: the sibling values read. */
  value: string | null | string[];
  time: number;
  /** On invoke of put/delete/cas: values this write supersedes (the siblings in the context it passed). */
  context?: string[];
  /**
   * On invoke of cas: the value the client expects to be current, or `null` for "the key is absent". The
   * cas writes `value` only if the register holds `expected`; a cas that finds something else completes with
   * `fail` (it certainly did not write). Absent on other operations. The linearizability checker's register
   * model reads it; the other checkers treat a non-failed cas as also superseding `expected`.
   */
  expected?: string | null;
  /** The node the client sent the request to (its entry node; a write it does not own it forwards to an owner, which coordinates it). */
  node?: string;
  /** Why it failed or is unknown. */
  error?: string;
  /** Part of the final read phase (after heal and quiescence). */
  final?: boolean;
}

/** Records events with dense indexes; knows nothing about the store. */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];

  record(event: Omit<HistoryEvent, 'index'>): HistoryEvent {
    const full = { index: this.events.length, ...event } as HistoryEvent;
    this.events.push(full);
    return full;
  }

  toJsonLines(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }
}

/** Parses JSON Lines back into events, with an error naming the line on malformed input. */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  text.split('\n').forEach((line, lineIndex) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new Error(`history line ${lineIndex + 1}: not JSON (${(error as Error).message})`);
    }
    const event = parsed as Partial<HistoryEvent>;
    for (const field of ['process', 'type', 'f', 'key', 'time'] as const) {
      if (event[field] === undefined) throw new Error(`history line ${lineIndex + 1}: missing field '${field}'`);
    }
    events.push({ ...(event as HistoryEvent), index: event.index ?? events.length });
  });
  return events;
}

/** One invoke paired with its completion (completion absent if the run ended first: treat as info). */
export interface Operation {
  process: number;
  f: OperationName;
  key: string;
  invoke: HistoryEvent;
  completion: HistoryEvent | undefined;
}

/** Pairs each invoke with the next completion from the same process (a process has one operation in flight). */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const open = new Map<number, Operation>();
  const operations: Operation[] = [];
  for (const event of events) {
    if (event.type === 'invoke') {
      if (open.has(event.process)) {
        throw new Error(`history event ${event.index}: process ${event.process} invoked twice without completing`);
      }
      const operation: Operation = { process: event.process, f: event.f, key: event.key, invoke: event, completion: undefined };
      open.set(event.process, operation);
      operations.push(operation);
    } else {
      const operation = open.get(event.process);
      if (operation === undefined) throw new Error(`history event ${event.index}: completion without invoke (process ${event.process})`);
      operation.completion = event;
      open.delete(event.process);
    }
  }
  return operations;
}
