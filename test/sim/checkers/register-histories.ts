import fc from 'fast-check';
import type { HistoryEvent } from '../../../sim/history';
import { HistoryBuilder } from './history-builder';

/**
 * Histories drawn from a correct, sequential register model, for property tests. Each operation gets a
 * linearization point inside its [invoke, completion] interval; applying the operations to the model in
 * linearization order yields every read's result and every cas's success, so the history is linearizable by
 * construction. `overlap: false` runs one operation at a time (real-time non-overlapping); `overlap: true`
 * gives each process its own timeline so operations of different processes overlap.
 *
 * Causal contexts follow the model: in vclock mode a write's context names the value it overwrote (the
 * store's read-modify-write, the only way a vclock store replaces rather than adds a sibling), and writes
 * take effect at their invoke so that value was written earlier; in LWW mode writes are blind (context []),
 * and the real-time order alone decides.
 */
export type OutcomeDraw = 'ok' | 'info-applied' | 'info-dropped' | 'fail';

export interface OpDraw {
  process: number;
  key: number;
  kind: 'put' | 'get' | 'delete' | 'cas';
  gap: number;
  duration: number;
  /** Where inside the interval the operation takes effect, 0..1. */
  at: number;
  outcome: OutcomeDraw;
  /** cas: expect the current value (succeeds) or a stale one (fails). */
  casMatches: boolean;
}

export interface HistorySpec {
  processes: number;
  keys: number;
  ops: OpDraw[];
}

export function historySpec(options: { maxOps?: number; minOps?: number; kinds?: OpDraw['kind'][]; uncertain?: boolean } = {}): fc.Arbitrary<HistorySpec> {
  const kinds = options.kinds ?? ['put', 'put', 'get', 'get', 'get', 'delete', 'cas'];
  const outcomes: OutcomeDraw[] = options.uncertain === false ? ['ok'] : ['ok', 'ok', 'ok', 'ok', 'ok', 'info-applied', 'info-dropped', 'fail'];
  const op: fc.Arbitrary<OpDraw> = fc.record({
    process: fc.nat(7),
    key: fc.nat(3),
    kind: fc.constantFrom(...kinds),
    gap: fc.nat(20),
    duration: fc.integer({ min: 1, max: 40 }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    outcome: fc.constantFrom(...outcomes),
    casMatches: fc.boolean(),
  });
  return fc.record({
    processes: fc.integer({ min: 1, max: 5 }),
    keys: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(op, { minLength: options.minOps ?? 1, maxLength: options.maxOps ?? 40 }),
  });
}

interface Placed {
  draw: OpDraw;
  process: number;
  key: string;
  start: number;
  end: number;
  lin: number;
  order: number;
}

export function buildHistory(spec: HistorySpec, options: { mode: 'vclock' | 'lww'; overlap: boolean }): HistoryEvent[] {
  const clocks = new Array<number>(spec.processes).fill(0);
  let globalClock = 0;
  const placed: Placed[] = spec.ops.map((draw, order) => {
    const process = draw.process % spec.processes;
    const base = options.overlap ? (clocks[process] as number) : globalClock;
    const start = base + draw.gap + 1;
    const end = start + draw.duration;
    if (options.overlap) clocks[process] = end;
    else globalClock = end;
    // vclock: writes take effect as they are invoked, so the value a write replaces (its context) was always
    // written by an earlier-invoked write — a real client can only pass back what it had read. Reads, and all
    // operations in LWW mode, take effect anywhere inside their interval.
    const at = options.mode === 'vclock' && draw.kind !== 'get' ? 0 : draw.at;
    return { draw, process, key: `k${draw.key % spec.keys}`, start, end, lin: start + at * (end - start), order };
  });
  const state = new Map<string, string | null>();
  const written = new Map<string, string[]>();
  const builder = new HistoryBuilder();
  const results: (() => void)[] = [];
  let counter = 0;
  for (const p of [...placed].sort((a, b) => a.lin - b.lin || a.order - b.order)) {
    const current = state.get(p.key) ?? null;
    const context = options.mode === 'vclock' && current !== null ? [current] : [];
    const { draw } = p;
    if (draw.kind === 'get') {
      const type = draw.outcome === 'ok' ? 'ok' : draw.outcome === 'fail' ? 'fail' : 'info';
      results.push(() => builder.get(p.process, p.key, current === null ? [] : [current], p.start, p.end, { type }));
      continue;
    }
    const value = `p${p.process}-${counter++}`;
    let applies = draw.outcome === 'ok' || draw.outcome === 'info-applied';
    const type = draw.outcome === 'ok' ? 'ok' : draw.outcome === 'fail' ? 'fail' : 'info';
    if (draw.kind === 'cas') {
      const history = written.get(p.key) ?? [];
      // A stale expectation: some earlier value that is not current (or "absent" when something is there).
      const stale = history.find((v) => v !== current) ?? (current === null ? 'never-written' : null);
      const expected = draw.casMatches ? current : stale;
      const matches = expected === current;
      // A cas that does not match cannot apply; report it as failed unless its outcome is unknown anyway.
      const casType = matches ? type : type === 'info' ? 'info' : 'fail';
      applies = applies && matches;
      results.push(() => builder.cas(p.process, p.key, expected, value, p.start, p.end, { type: casType, context }));
    } else if (draw.kind === 'delete') {
      results.push(() => builder.del(p.process, p.key, p.start, p.end, { type, context }));
    } else {
      results.push(() => builder.put(p.process, p.key, value, p.start, p.end, { type, context }));
    }
    if (applies) {
      state.set(p.key, draw.kind === 'delete' ? null : value);
      if (draw.kind !== 'delete') written.set(p.key, [...(written.get(p.key) ?? []), value]);
    }
  }
  for (const add of results) add();
  // The final read phase: after everything, one read per key by a fresh process.
  const end = Math.max(globalClock, ...clocks) + 100;
  for (let k = 0; k < spec.keys; k++) {
    const current = state.get(`k${k}`) ?? null;
    builder.get(1000 + k, `k${k}`, current === null ? [] : [current], end, end + 5, { final: true });
  }
  return builder.build();
}
