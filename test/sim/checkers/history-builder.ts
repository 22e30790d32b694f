import type { CompletionType, HistoryEvent, OperationName } from '../../../sim/history';

/**
 * Hand-written histories for the checker tests: each call adds one operation (invoke + completion, or only an
 * invoke for `type: 'open'`) over [start, end] µs. `build()` orders events by time (stable, so an operation's
 * invoke stays before its completion) and assigns dense indexes; the returned handles then carry the indexes
 * so tests can assert counterexamples name the right events.
 */
export interface OpHandle {
  invoke: HistoryEvent;
  completion: HistoryEvent | undefined;
}

export interface OpOptions {
  type?: CompletionType | 'open';
  context?: string[];
  expected?: string | null;
  final?: boolean;
}

export class HistoryBuilder {
  private readonly pending: HistoryEvent[] = [];

  put(process: number, key: string, value: string, start: number, end: number, options: OpOptions = {}): OpHandle {
    return this.op(process, 'put', key, value, value, start, end, options);
  }

  del(process: number, key: string, start: number, end: number, options: OpOptions = {}): OpHandle {
    return this.op(process, 'delete', key, null, null, start, end, options);
  }

  cas(process: number, key: string, expected: string | null, value: string, start: number, end: number, options: OpOptions = {}): OpHandle {
    return this.op(process, 'cas', key, value, value, start, end, { ...options, expected });
  }

  get(process: number, key: string, result: string[], start: number, end: number, options: OpOptions = {}): OpHandle {
    return this.op(process, 'get', key, null, result, start, end, options);
  }

  build(): HistoryEvent[] {
    const ordered = this.pending.map((event, position) => ({ event, position })).sort((a, b) => a.event.time - b.event.time || a.position - b.position);
    return ordered.map(({ event }, index) => {
      event.index = index;
      return event;
    });
  }

  private op(
    process: number,
    f: OperationName,
    key: string,
    invokeValue: string | null,
    completionValue: string | null | string[],
    start: number,
    end: number,
    options: OpOptions,
  ): OpHandle {
    const type = options.type ?? 'ok';
    const invoke: HistoryEvent = { index: -1, process, type: 'invoke', f, key, value: invokeValue, time: start };
    if (f !== 'get') invoke.context = options.context ?? [];
    if (options.expected !== undefined) invoke.expected = options.expected;
    if (options.final) invoke.final = true;
    this.pending.push(invoke);
    if (type === 'open') return { invoke, completion: undefined };
    const value = f === 'get' ? (type === 'ok' ? completionValue : null) : invokeValue;
    const completion: HistoryEvent = { index: -1, process, type, f, key, value, time: end };
    if (options.final) completion.final = true;
    this.pending.push(completion);
    return { invoke, completion };
  }
}

/** The event indexes of operations, sorted — what a counterexample's `events` should contain. */
export function indexesOf(...ops: OpHandle[]): number[] {
  return ops.flatMap((op) => [op.invoke.index, ...(op.completion ? [op.completion.index] : [])]).sort((a, b) => a - b);
}
