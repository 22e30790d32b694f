import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type SiblingSet, EMPTY_CONTEXT, assertSiblingSet, compareVV, concurrent, contextOf, descends, emptySet,
  encodeSiblingSet, equalVV, etag, isDeleted, liveValues, merge, mergeAll, needsRepair, tombstone, update,
  hasTombstone, purgeable, prune, prunePolicyForGrace, DEFAULT_PRUNE_POLICY, setDescends, decodeSiblingSet,
} from '../../../core/versioning';
import { REPLICAS, arbOp, dotKeys, execute, mustSurvive } from './model';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const same = (a: SiblingSet, b: SiblingSet) => expect(encodeSiblingSet(a)).toEqual(encodeSiblingSet(b));
const arbOps = fc.array(arbOp, { minLength: 1, maxLength: 40 });
const arbClock = fc.constantFrom('steps' as const, 'frozen' as const);

describe('dotted version vector sets: merge is a join', () => {
  it('commutative, associative, idempotent over reachable states', () => {
    fc.assert(fc.property(arbOps, arbClock, fc.nat(), fc.nat(), fc.nat(), (ops, clock, i, j, k) => {
      const { history } = execute(ops, clock, null);
      if (history.length === 0) return;
      const a = history[i % history.length]!, b = history[j % history.length]!, c = history[k % history.length]!;
      same(merge(a, b), merge(b, a));
      same(merge(merge(a, b), c), merge(a, merge(b, c)));
      same(merge(a, a), a);
      assertSiblingSet(merge(a, b));
      // The merged context descends both inputs.
      expect(descends(contextOf(merge(a, b)), contextOf(a))).toBe(true);
      expect(descends(contextOf(merge(a, b)), contextOf(b))).toBe(true);
    }), { numRuns: 300 });
  });

  it('no acknowledged write is dropped unless a later write saw it: converged state = the oracle, exactly', () => {
    fc.assert(fc.property(arbOps, arbClock, (ops, clock) => {
      const run = execute(ops, clock, null);
      const converged = mergeAll(run.states, 'dvv');
      expect([...dotKeys(converged)].sort()).toEqual([...mustSurvive(run)].sort());
      // And every replica's state is a subset of the converged one, which no replica needs to repair past.
      for (const s of run.states) expect(needsRepair(converged, s)).toBe(false);
    }), { numRuns: 400 });
  });

  it('a put with the merged context replaces all siblings, and they never come back', () => {
    fc.assert(fc.property(arbOps, arbClock, fc.nat(REPLICAS.length - 1), (ops, clock, who) => {
      const run = execute(ops, clock, null);
      const converged = mergeAll(run.states, 'dvv');
      const written = update(converged, contextOf(converged), { value: bytes('final'), timestampMicros: 1000 }, REPLICAS[who]!);
      expect(written.versions.length).toBe(1);
      expect(text(written.versions[0]!.value)).toBe('final');
      const again = mergeAll([written, ...run.states, ...run.history], 'dvv');
      expect(again.versions.map((v) => text(v.value))).toEqual(['final']);
    }), { numRuns: 200 });
  });

  it('pruning never drops a surviving write (it may add false siblings)', () => {
    const many = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const policy = { smallEntries: 2, maxEntries: 3, youngMicros: 0, oldMicros: 4 };
    fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 60 }), (ops) => {
      const widened = ops.map((op) => (op.kind === 'write' ? { ...op, replica: op.replica * 3 + (op.ctx % 3) } : op));
      const run = execute(widened, 'steps', policy, many);
      const converged = mergeAll(run.states, 'dvv');
      const have = dotKeys(converged);
      for (const d of mustSurvive(run)) expect(have.has(d)).toBe(true);
    }), { numRuns: 200 });
  });
});

describe('siblings, tombstones and TTL', () => {
  it('two blind concurrent writes become siblings; a read-modify-write resolves them', () => {
    const a = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('cart:+milk'), timestampMicros: 10 }, 'n1');
    const b = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('cart:+eggs'), timestampMicros: 11 }, 'n2');
    expect(concurrent(contextOf(a), contextOf(b))).toBe(true);
    expect(compareVV(contextOf(a), contextOf(b))).toBe('concurrent');
    const both = merge(a, b);
    expect(liveValues(both, 0).map(text).sort()).toEqual(['cart:+eggs', 'cart:+milk']);
    expect(compareVV(contextOf(both), contextOf(a))).toBe('after');
    const resolved = update(both, contextOf(both), { value: bytes('cart:+milk+eggs'), timestampMicros: 20 }, 'n1');
    expect(liveValues(resolved, 0).map(text)).toEqual(['cart:+milk+eggs']);
    expect(equalVV(contextOf(merge(resolved, a)), contextOf(resolved))).toBe(true);
  });

  it('blind writes through one coordinator add one sibling each (no sibling explosion from the clock)', () => {
    let s = emptySet('dvv');
    for (let i = 0; i < 5; i++) s = update(s, EMPTY_CONTEXT, { value: bytes(`x${i}`), timestampMicros: i }, 'n1');
    expect(s.versions.length).toBe(5);
    expect(s.clock.length).toBe(1);
  });

  it('a delete is a tombstone with context; a concurrent write survives it', () => {
    const v1 = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('v1'), timestampMicros: 1 }, 'n1');
    const del = update(v1, contextOf(v1), tombstone(2), 'n1');
    expect(isDeleted(del, 3)).toBe(true);
    expect(del.versions.length).toBe(1);
    const concurrentWrite = update(v1, contextOf(v1), { value: bytes('v2'), timestampMicros: 2 }, 'n2');
    const m = merge(del, concurrentWrite);
    expect(isDeleted(m, 3)).toBe(false);
    expect(hasTombstone(m)).toBe(true);
    expect(liveValues(m, 3).map(text)).toEqual(['v2']);
    expect(purgeable(del, 2 + 100, 100)).toBe(true);
    expect(purgeable(del, 2 + 99, 100)).toBe(false);
    expect(() => update(v1, EMPTY_CONTEXT, { value: bytes('x'), deleted: true, timestampMicros: 1 }, 'n1')).toThrow(/tombstone/);
  });

  it('TTL: an expired version reads as deleted from its expiry on', () => {
    const s = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('session'), timestampMicros: 100, expiresAtMicros: 200 }, 'n1');
    expect(liveValues(s, 199).map(text)).toEqual(['session']);
    expect(isDeleted(s, 200)).toBe(true);
    expect(purgeable(s, 250, 50)).toBe(true);
  });

  it('merge refuses one dot naming two different values instead of silently keeping one', () => {
    const a = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('a'), timestampMicros: 0 }, 'n1');
    const b = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('b'), timestampMicros: 0 }, 'n1');
    expect(() => merge(a, b)).toThrow(/dot reuse/);
    expect(() => merge(a, emptySet('lww'))).toThrow(/cannot merge/);
  });

  it('etag: equal for converged replicas, different after any write', () => {
    const a = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('a'), timestampMicros: 1 }, 'n1');
    const b = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('b'), timestampMicros: 2 }, 'n2');
    expect(etag(merge(a, b))).toBe(etag(merge(b, a)));
    expect(etag(merge(a, b))).toMatch(/^[0-9a-f]{16}$/);
    expect(etag(a)).not.toBe(etag(b));
    expect(etag(emptySet('dvv'))).not.toBe(etag(a));
    const c = update(a, contextOf(a), { value: bytes('a'), timestampMicros: 3 }, 'n1');
    expect(etag(c)).not.toBe(etag(a));
  });
});

describe('writers that forgot their state', () => {
  it('do not reuse dots: a write after a purged tombstone survives a merge with a replica that still remembers', () => {
    const a = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('a'), timestampMicros: 100 }, 'n1');
    const del = update(a, contextOf(a), tombstone(101), 'n1');
    const n2 = del; // replicated; n2 has not purged yet (or was partitioned when n1 did)
    // n1 purges the tombstone after its grace period: its stored state for the key is gone.
    expect(purgeable(del, 1_000, 500)).toBe(true);
    const b = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('b'), timestampMicros: 2_000 }, 'n1');
    // With counters restarting at 1, n2's clock (n1:101) would cover b's dot and merge would drop it silently.
    expect(b.versions[0]!.dot.counter).toBeGreaterThan(101);
    expect(liveValues(merge(n2, b), 3_000).map(text)).toEqual(['b']);
  });
});

describe('clock pruning', () => {
  it('keeps the clock within maxEntries when old entries are unpinned, never drops versions', () => {
    let s = emptySet('dvv');
    const day = DEFAULT_PRUNE_POLICY.oldMicros;
    for (let i = 0; i < 80; i++) {
      const t = i * 1_000_000_000; // writers 1000 s apart
      s = update(s, contextOf(s), { value: bytes(`v${i}`), timestampMicros: t }, `node-${String(i).padStart(3, '0')}`);
      expect(s.clock.length).toBeLessThanOrEqual(DEFAULT_PRUNE_POLICY.maxEntries);
      expect(s.versions.length).toBe(1);
    }
    // After a day of quiet, the next write prunes back to smallEntries-ish (entries older than oldMicros go).
    const later = update(s, contextOf(s), { value: bytes('late'), timestampMicros: 80 * 1_000_000_000 + day + 1 }, 'node-x');
    expect(later.clock.length).toBeLessThanOrEqual(DEFAULT_PRUNE_POLICY.smallEntries);
    expect(liveValues(later, 0).map(text)).toEqual(['late']);
  });

  it('never prunes an entry that still names a live sibling, nor young entries', () => {
    let s = emptySet('dvv');
    for (let i = 0; i < 20; i++) s = update(s, EMPTY_CONTEXT, { value: bytes(`v${i}`), timestampMicros: i }, `w${i}`);
    const policy = { smallEntries: 1, maxEntries: 2, youngMicros: 0, oldMicros: 0 };
    expect(prune(s, 1e12, policy).clock.length).toBe(20); // all 20 are live concurrent siblings
    const young = { smallEntries: 1, maxEntries: 2, youngMicros: 1e15, oldMicros: 0 };
    const resolved = update(s, contextOf(s), { value: bytes('one'), timestampMicros: 30 }, 'w0', { prune: null });
    expect(prune(resolved, 100, young).clock.length).toBe(20);
    // Every entry is past oldMicros = 0: pruned down to smallEntries, keeping w0 (it names the live version).
    expect(prune(resolved, 100, policy).clock.map((e) => e.actor)).toEqual(['w0']);
    // Entries not yet old: pruned only down to maxEntries.
    const cap = { smallEntries: 1, maxEntries: 2, youngMicros: 0, oldMicros: 1e15 };
    expect(prune(resolved, 100, cap).clock.length).toBe(2);
  });

  it('the store\'s policy forgets no entry younger than the tombstone grace (a cut-off replica may still need it)', () => {
    const grace = 10 * 24 * 3_600_000_000;
    const policy = prunePolicyForGrace(grace);
    expect(policy).toMatchObject({ smallEntries: DEFAULT_PRUNE_POLICY.smallEntries, maxEntries: DEFAULT_PRUNE_POLICY.maxEntries, youngMicros: grace, oldMicros: grace });
    // A short grace never makes pruning more eager than the defaults.
    expect(prunePolicyForGrace(1_000_000)).toEqual(DEFAULT_PRUNE_POLICY);
    // 80 writers, each replacing the last, one second apart: past maxEntries and 20 s old, yet kept.
    let s = emptySet('dvv');
    for (let i = 0; i < 80; i++) {
      s = update(s, contextOf(s), { value: bytes(`v${i}`), timestampMicros: i * 1_000_000 }, `node-${String(i).padStart(3, '0')}`, { prune: policy });
    }
    expect(s.clock.length).toBe(80);
    expect(update(s, contextOf(s), { value: bytes('x'), timestampMicros: 80 * 1_000_000 }, 'node-x').clock.length).toBe(DEFAULT_PRUNE_POLICY.maxEntries);
    // Past the grace, the default bound applies again.
    const later = update(s, contextOf(s), { value: bytes('late'), timestampMicros: 80 * 1_000_000 + grace }, 'node-x', { prune: policy });
    expect(later.clock.length).toBeLessThanOrEqual(DEFAULT_PRUNE_POLICY.smallEntries);
  });
});

describe('setDescends (read-repair test) without building the merge', () => {
  // The definition it must match: merging `older` into `newer` changes nothing (same version objects in the same
  // order, same clock counters).
  const byMerge = (newer: SiblingSet, older: SiblingSet) => {
    const m = merge(newer, older);
    return m.versions.length === newer.versions.length && m.versions.every((v, i) => v === newer.versions[i]) &&
      m.clock.length === newer.clock.length && m.clock.every((e, i) => e.counter === newer.clock[i]!.counter);
  };

  it('agrees with the merge-based definition over reachable states, merges of them and decoded copies', () => {
    fc.assert(fc.property(arbOps, arbClock, fc.nat(), fc.nat(), fc.nat(), (ops, clock, i, j, k) => {
      const { history } = execute(ops, clock, null);
      if (history.length === 0) return;
      const a = history[i % history.length]!, b = history[j % history.length]!, c = history[k % history.length]!;
      const ab = merge(a, b);
      const copy = decodeSiblingSet(encodeSiblingSet(b)); // equal content, different objects
      for (const [x, y] of [[a, b], [b, a], [ab, a], [a, ab], [ab, c], [c, ab], [a, a], [b, copy], [copy, b], [ab, copy]] as const) {
        expect(setDescends(x, y)).toBe(byMerge(x, y));
        expect(needsRepair(x, y)).toBe(!byMerge(x, y));
      }
    }), { numRuns: 400 });
  });

  it('throws on a reused dot exactly as the merge does', () => {
    const a = update(emptySet('dvv'), EMPTY_CONTEXT, { value: bytes('one'), timestampMicros: 5 }, 'r0');
    const forged: SiblingSet = { ...a, versions: [{ ...a.versions[0]!, value: bytes('two') }] };
    expect(() => merge(a, forged)).toThrow(/dot reuse/);
    expect(() => setDescends(a, forged)).toThrow(/dot reuse/);
  });
});
