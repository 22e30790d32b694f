import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../../sim/checkers/linearizability';
import { checkLostWrites } from '../../../sim/checkers/lost-writes';
import { checkSession } from '../../../sim/checkers/session';
import { operationsByKey } from '../../../sim/checkers/operations';
import { checkStaleReads } from '../../../sim/checkers/stale-reads';
import { KeyWrites } from '../../../sim/checkers/supersession';
import type { HistoryEvent } from '../../../sim/history';
import { pairOperations } from '../../../sim/history';
import { HistoryBuilder } from './history-builder';
import { buildHistory, historySpec } from './register-histories';

const modes = ['vclock', 'lww'] as const;

/**
 * Mutates one completed get to return an older value: the value of an acknowledged write that another
 * acknowledged write overwrote entirely before the get started. Returns undefined if the history has no such
 * get. (Values are unique, so nothing can legitimately bring the old value back.)
 */
function mutateOneRead(history: HistoryEvent[], pick: number, workloadReadsOnly = false): HistoryEvent[] | undefined {
  const ops = pairOperations(history);
  const candidates: { get: HistoryEvent; older: string }[] = [];
  for (const g of ops) {
    if (g.f !== 'get' || g.completion?.type !== 'ok') continue;
    if (workloadReadsOnly && (g.invoke.final || g.completion.final)) continue; // stale-reads judges workload reads only
    const current = (g.completion.value as string[])[0];
    for (const w1 of ops) {
      if (w1.key !== g.key || w1.f === 'get' || w1.f === 'delete' || w1.completion?.type !== 'ok') continue;
      const value = w1.invoke.value as string;
      if (value === current) continue;
      const overwritten = ops.some(
        (w2) => w2.key === g.key && w2.f !== 'get' && w2.completion?.type === 'ok' && w2.invoke.time > w1.completion!.time && w2.completion.time < g.invoke.time,
      );
      if (overwritten) candidates.push({ get: g.completion, older: value });
    }
  }
  if (candidates.length === 0) return undefined;
  const chosen = candidates[pick % candidates.length]!;
  return history.map((event) => (event === chosen.get ? { ...event, value: [chosen.older] } : event));
}

describe('checker properties over histories from a correct register', () => {
  for (const mode of modes) {
    for (const overlap of [false, true]) {
      it(`${mode}, ${overlap ? 'overlapping' : 'non-overlapping'} operations: lost-writes, stale-reads, linearizability and session all pass`, () => {
        fc.assert(
          fc.property(historySpec(), (spec) => {
            const history = buildHistory(spec, { mode, overlap });
            for (const result of [
              checkLostWrites(history, { mode }),
              checkStaleReads(history, { mode }),
              checkLinearizability(history),
              checkSession(history, { mode }),
            ]) {
              expect(result.verdict, `${result.checker}: ${result.summary}\n${JSON.stringify(result.counterexamples)}`).toBe('ok');
            }
          }),
          { numRuns: 150 },
        );
      });
    }
  }

  it('mutating one read to an older overwritten value makes linearizability fail (any outcome mix, overlapping)', () => {
    fc.assert(
      fc.property(historySpec({ minOps: 8, kinds: ['put', 'put', 'get', 'get', 'cas', 'delete'] }), fc.nat(), fc.boolean(), (spec, pick, overlap) => {
        const mutated = mutateOneRead(buildHistory(spec, { mode: 'vclock', overlap }), pick);
        fc.pre(mutated !== undefined);
        const result = checkLinearizability(mutated!);
        expect(result.verdict).toBe('fail');
        expect(result.counterexamples.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('with certain outcomes the same mutation is also a stale read, in both modes', () => {
    // vclock without deletes: after a delete the generator's next write is blind (nothing to name in its
    // context), and a blind write does not overwrite under vector clocks — it adds a sibling, so reading the
    // older value there is legitimately fresh (linearizability still fails: a register has no siblings).
    const modeAndSpec = fc.constantFrom(...modes).chain((mode) =>
      fc.tuple(fc.constant(mode), historySpec({ minOps: 8, uncertain: false, kinds: mode === 'vclock' ? ['put', 'get', 'get', 'cas'] : ['put', 'get', 'get', 'cas', 'delete'] })),
    );
    fc.assert(
      fc.property(modeAndSpec, fc.nat(), ([mode, spec], pick) => {
        const mutated = mutateOneRead(buildHistory(spec, { mode, overlap: true }), pick, true);
        fc.pre(mutated !== undefined);
        expect(checkStaleReads(mutated!, { mode }).verdict).toBe('fail');
      }),
      { numRuns: 150 },
    );
  });
});

/** Independent brute force for small histories: try every order (info ops optional) respecting real time. */
function bruteForceLinearizable(history: HistoryEvent[]): boolean {
  interface Op { f: string; value: unknown; expected: string | null | undefined; result: string | null; inv: number; ret: number; required: boolean }
  const ops: Op[] = [];
  for (const o of pairOperations(history)) {
    const type = o.completion?.type ?? 'info';
    if (type === 'fail' || (o.f === 'get' && type !== 'ok')) continue;
    const result = o.f === 'get' ? ((o.completion!.value as string[])[0] ?? null) : null;
    ops.push({ f: o.f, value: o.invoke.value, expected: o.invoke.expected, result, inv: o.invoke.time, ret: type === 'ok' ? o.completion!.time : Infinity, required: type === 'ok' });
  }
  const placed = new Array<boolean>(ops.length).fill(false);
  const search = (state: string | null): boolean => {
    if (ops.every((op, i) => placed[i] || !op.required)) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      const x = ops[i]!;
      if (ops.some((y, j) => !placed[j] && j !== i && y.ret < x.inv)) continue;
      let next: string | null;
      if (x.f === 'get') {
        if (state !== x.result) continue;
        next = state;
      } else if (x.f === 'delete') next = null;
      else if (x.f === 'cas' && x.expected !== undefined) {
        if (state !== x.expected) continue;
        next = x.value as string;
      } else next = x.value as string;
      placed[i] = true;
      const ok = search(next);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return search(null);
}

describe('linearizability search agrees with brute force on small arbitrary histories', () => {
  const op = fc.record({
    kind: fc.constantFrom('put', 'get', 'delete', 'cas'),
    start: fc.nat(30),
    length: fc.nat(30),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail', 'open'),
    read: fc.nat(4),
    expected: fc.nat(4),
  });
  it('same verdict as exhaustive search', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 7 }), (draws) => {
        const h = new HistoryBuilder();
        const pool = (n: number) => (n === 0 ? null : `v${n - 1}`);
        let written = 0;
        draws.forEach((d, process) => {
          const type = d.outcome as 'ok' | 'info' | 'fail' | 'open';
          const end = d.start + d.length;
          if (d.kind === 'get') h.get(process, 'k', type === 'ok' && pool(d.read) !== null ? [pool(d.read)!] : [], d.start, end, { type });
          else if (d.kind === 'delete') h.del(process, 'k', d.start, end, { type });
          else if (d.kind === 'put') h.put(process, 'k', `v${written++}`, d.start, end, { type });
          else h.cas(process, 'k', pool(d.expected), `v${written++}`, d.start, end, { type });
        });
        const history = h.build();
        const expected = bruteForceLinearizable(history);
        expect(checkLinearizability(history).verdict).toBe(expected ? 'ok' : 'fail');
      }),
      { numRuns: 1500 },
    );
  });
});

describe('linearizability budget', () => {
  it('a budget smaller than the operations to place is never ok', () => {
    fc.assert(
      fc.property(historySpec({ minOps: 5 }), fc.boolean(), (spec, overlap) => {
        const history = buildHistory(spec, { mode: 'vclock', overlap });
        const required = pairOperations(history).filter((o) => o.completion?.type === 'ok').length;
        const result = checkLinearizability(history, { maxSteps: Math.max(0, required - 1) });
        expect(result.verdict).not.toBe('ok');
      }),
      { numRuns: 100 },
    );
  });

  it('a huge ambiguous history with a tiny budget is unknown, and the step count stays within budget', () => {
    // 300 fully concurrent writes and 300 reads that each demand a different order among them: the search
    // space is enormous and the verdict cannot be established in 5 000 steps.
    const h = new HistoryBuilder();
    for (let i = 0; i < 300; i++) h.put(i, 'k', `w${i}`, 0, 1_000_000, { type: i % 3 === 0 ? 'info' : 'ok' });
    for (let i = 0; i < 300; i++) h.get(1000 + i, 'k', [`w${(i * 7) % 300}`], 1 + i, 999_999 - i);
    const result = checkLinearizability(h.build(), { maxStepsPerKey: 5_000 });
    expect(result.verdict).toBe('unknown');
    expect(result.figures.steps).toBeLessThanOrEqual(5_000);
    expect(result.figures.keysUnknown).toBe(1);
  });
});

describe('stale-reads fast path (acked frontier) agrees with the full reachability pass', () => {
  // Arbitrary, mostly broken histories: random contexts, random read results, deletes, uncertain outcomes.
  const draw = fc.record({
    kind: fc.constantFrom('put', 'put', 'get', 'get', 'delete'),
    start: fc.nat(60),
    length: fc.nat(15),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
    picks: fc.array(fc.nat(20), { maxLength: 3 }),
  });
  it('same stale count and worst staleness as checking every acknowledged write', () => {
    fc.assert(
      fc.property(fc.array(draw, { maxLength: 25 }), fc.constantFrom(...modes), (draws, mode) => {
        const h = new HistoryBuilder();
        const values: string[] = [];
        const ordered = [...draws].sort((a, b) => a.start - b.start);
        ordered.forEach((d, process) => {
          const type = d.outcome as 'ok' | 'info' | 'fail';
          const pick = [...new Set(d.picks.filter((p) => p < values.length).map((p) => values[p]!))];
          if (d.kind === 'get') h.get(process, 'k', pick, d.start, d.start + d.length, { type });
          else if (d.kind === 'delete') h.del(process, 'k', d.start, d.start + d.length, { type, context: pick });
          else {
            const value = `v${values.length}`;
            values.push(value);
            h.put(process, 'k', value, d.start, d.start + d.length, { type, context: pick });
          }
        });
        const history = h.build();
        const fast = checkStaleReads(history, { mode });
        const naive = naiveStaleness(history, mode);
        expect(fast.figures.staleReads).toBe(naive.length);
        expect(fast.figures.worstStalenessMicros).toBe(naive.reduce((m, s) => Math.max(m, s), 0));
      }),
      { numRuns: 1500 },
    );
  });
});

/** Stale reads by brute force: every acknowledged write before each read, through the full reachability pass. */
function naiveStaleness(history: HistoryEvent[], mode: 'vclock' | 'lww'): number[] {
  const out: number[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const writes = new KeyWrites(key, operations, mode);
    for (const read of operations) {
      if (read.f !== 'get' || read.outcome !== 'ok') continue;
      const isReflected = writes.reflected(writes.explainers(read.readValues!, read.completion!.time));
      const missed = writes.writes.filter((w) => w.operation.outcome === 'ok' && w.okTime < read.invoke.time && !isReflected(w.id));
      if (missed.length > 0) out.push(read.invoke.time - Math.min(...missed.map((w) => w.okTime)));
    }
  }
  return out;
}

describe('session fast path agrees with checking every own write and every observation', () => {
  const draw = fc.record({
    process: fc.nat(2),
    kind: fc.constantFrom('put', 'put', 'get', 'get', 'get', 'delete'),
    gap: fc.nat(8),
    length: fc.nat(10),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
    picks: fc.array(fc.nat(20), { maxLength: 3 }),
  });
  it('same read-your-writes and monotonic-read violation counts', () => {
    fc.assert(
      fc.property(fc.array(draw, { maxLength: 40 }), fc.constantFrom(...modes), (draws, mode) => {
        const h = new HistoryBuilder();
        const values: string[] = [];
        const invoked: number[] = [];
        const clocks = [0, 0, 0];
        for (const d of draws) {
          const start = clocks[d.process]! + d.gap + 1;
          const end = start + d.length;
          clocks[d.process] = end;
          const type = d.outcome as 'ok' | 'info' | 'fail';
          // A context can only name writes invoked before this one (a client passes back what it read).
          const pick = [...new Set(d.picks.filter((p) => p < values.length && invoked[p]! <= start).map((p) => values[p]!))];
          if (d.kind === 'get') h.get(d.process, 'k', pick, start, end, { type });
          else if (d.kind === 'delete') h.del(d.process, 'k', start, end, { type, context: pick });
          else {
            const value = `v${values.length}`;
            values.push(value);
            invoked.push(start);
            h.put(d.process, 'k', value, start, end, { type, context: pick });
          }
        }
        const history = h.build();
        const result = checkSession(history, { mode });
        const naive = naiveSession(history, mode);
        expect([result.figures.readYourWritesViolations, result.figures.monotonicReadsViolations]).toEqual([naive.ryw, naive.monotonic]);
      }),
      { numRuns: 1500 },
    );
  });
});

function naiveSession(history: HistoryEvent[], mode: 'vclock' | 'lww'): { ryw: number; monotonic: number } {
  let ryw = 0;
  let monotonic = 0;
  for (const [key, operations] of operationsByKey(history)) {
    const writes = new KeyWrites(key, operations, mode);
    const byOp = new Map(writes.writes.map((w) => [w.operation, w]));
    const own = new Map<number, number[]>();
    const observed = new Map<number, Set<number>>();
    // LWW rule (c): the value each process last saw alone, and the values it saw replaced.
    const lastShown = new Map<number, number | undefined>();
    const leftBehind = new Map<number, Set<number>>();
    // Rule (d): per process, sets of deletes of which each later read must reflect at least one.
    const proofs = new Map<number, number[][]>();
    for (const op of operations) {
      const mine = own.get(op.process) ?? [];
      const seen = observed.get(op.process) ?? new Set<number>();
      const left = leftBehind.get(op.process) ?? new Set<number>();
      const held = proofs.get(op.process) ?? [];
      own.set(op.process, mine);
      observed.set(op.process, seen);
      leftBehind.set(op.process, left);
      proofs.set(op.process, held);
      if (op.isWrite) {
        if (op.outcome === 'ok') mine.push(byOp.get(op)!.id);
        continue;
      }
      if (op.outcome !== 'ok') continue;
      const values = op.readValues!;
      const isReflected = writes.reflected(writes.explainers(values, op.completion!.time));
      const missedOwn = mine.some((id) => !isReflected(id));
      if (missedOwn) ryw++;
      const superseded = writes.causalAncestors([...seen].map((id) => writes.writes[id]!));
      const shown = values.map((v) => writes.writeOf(v)).filter((w) => w !== undefined);
      const older = shown.some((w) => superseded.has(w.id) && !seen.has(w.id));
      const single = mode === 'lww' && values.length === 1 ? shown[0] : undefined;
      const flippedBack = single !== undefined && left.has(single.id);
      if (single !== undefined) {
        const last = lastShown.get(op.process);
        if (last !== undefined && last !== single.id) left.add(last);
        lastShown.set(op.process, single.id);
      }
      const forgotten = held.some((deletes) => !deletes.some((id) => isReflected(id)));
      const wentBack = older || flippedBack || [...seen].some((id) => !isReflected(id)) || forgotten;
      if (wentBack) monotonic++;
      // An empty read, fine itself, after the process read or wrote something: one of the deletes that
      // explain it and reflect each owed write was what it showed.
      const owed = [...mine, ...seen];
      if (values.length === 0 && !missedOwn && !wentBack && owed.length > 0) {
        const explaining = writes.explainers([], op.completion!.time);
        for (const id of owed) held.push(explaining.filter((d) => writes.reflected([d])(id)).map((d) => d.id));
        if (mode === 'lww' && lastShown.get(op.process) !== undefined) {
          left.add(lastShown.get(op.process)!);
          lastShown.set(op.process, undefined);
        }
      }
      for (const w of shown) seen.add(w.id);
    }
  }
  return { ryw, monotonic };
}
