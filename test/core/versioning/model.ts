/**
 * A tiny replicated-key model for property tests: replicas hold sibling sets, clients read contexts, write
 * through a replica with one of the contexts they read, and replicas sync pairwise. It records every write's dot
 * and context so a test can compute, independently of the implementation, which writes must survive: exactly
 * those whose dot no later write's context covers.
 */
import fc from 'fast-check';
import {
  type Context, type Dot, type PrunePolicy, type SiblingSet, EMPTY_CONTEXT, contextOf, covers, emptySet, merge,
  update,
} from '../../../core/versioning';

export type Op =
  | { kind: 'read'; replica: number }
  | { kind: 'write'; replica: number; ctx: number; deleted: boolean; ttl: boolean }
  | { kind: 'sync'; from: number; to: number };

export const REPLICAS = ['r0', 'r1', 'r2', 'r3'];

export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), replica: fc.nat(REPLICAS.length - 1) }),
  fc.record({
    kind: fc.constant('write' as const), replica: fc.nat(REPLICAS.length - 1), ctx: fc.nat(),
    deleted: fc.boolean(), ttl: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.nat(REPLICAS.length - 1), to: fc.nat(REPLICAS.length - 1) }),
);

export interface Run {
  states: SiblingSet[];
  /** Every state any replica passed through (for lattice-law tests). */
  history: SiblingSet[];
  writes: { dot: Dot; ctx: Context; value: string; deleted: boolean }[];
}

/**
 * Executes ops. `clock`: 'steps' stamps writes with the op index (a forward-moving clock), 'frozen' with 0 (so
 * counters come from the +1 rule). `prune` is passed to update (null = never prune).
 */
export function execute(ops: readonly Op[], clock: 'steps' | 'frozen', prune: PrunePolicy | null, replicas = REPLICAS): Run {
  const states = replicas.map(() => emptySet('dvv'));
  const history: SiblingSet[] = [];
  const contexts: Context[] = [EMPTY_CONTEXT];
  const writes: Run['writes'] = [];
  ops.forEach((op, step) => {
    if (op.kind === 'read') {
      contexts.push(contextOf(states[op.replica % replicas.length]!));
    } else if (op.kind === 'sync') {
      const to = op.to % replicas.length;
      states[to] = merge(states[to]!, states[op.from % replicas.length]!);
      history.push(states[to]!);
    } else {
      const r = op.replica % replicas.length;
      const ctx = contexts[op.ctx % contexts.length]!;
      const value = `v${step}`;
      const ts = clock === 'steps' ? step + 1 : 0;
      const next = update(states[r]!, ctx, {
        value: op.deleted ? new Uint8Array(0) : new TextEncoder().encode(value),
        deleted: op.deleted,
        timestampMicros: ts,
        expiresAtMicros: op.ttl ? ts + 5 : null,
      }, replicas[r]!, { prune });
      const fresh = next.versions.find((v) => !states[r]!.versions.some((o) => o.dot.actor === v.dot.actor && o.dot.counter === v.dot.counter));
      if (!fresh) throw new Error('update did not add a version');
      writes.push({ dot: fresh.dot, ctx, value, deleted: op.deleted });
      states[r] = next;
      history.push(next);
    }
  });
  return { states, history, writes };
}

/** Dots of writes no context supersedes: what a correct store must still hold after full convergence. */
export function mustSurvive(run: Run): Set<string> {
  const out = new Set<string>();
  for (const w of run.writes) {
    if (!run.writes.some((o) => covers(o.ctx, w.dot))) out.add(`${w.dot.actor}:${w.dot.counter}`);
  }
  return out;
}

export const dotKeys = (set: SiblingSet): Set<string> => new Set(set.versions.map((v) => `${v.dot.actor}:${v.dot.counter}`));
