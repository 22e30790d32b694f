/**
 * The structural invariants of a sibling set, checked in tests and wherever a set arrives from outside
 * (the decoder enforces the same rules on bytes).
 */
import type { SiblingSet } from './sibling-set';
import { assertVV, compareDots, covers } from './version-vector';

export function assertSiblingSet(set: SiblingSet): void {
  assertVV(set.clock, 'sibling set clock');
  const vs = set.versions;
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    if (i > 0 && compareDots(vs[i - 1]!.dot, v.dot) >= 0) throw new Error('sibling set: versions not strictly sorted by dot');
    if (v.deleted && v.value.length > 0) throw new Error('sibling set: tombstone with a value');
    if (set.mode === 'dvv' && !covers(set.clock, v.dot)) {
      throw new Error(`sibling set: dot ${v.dot.actor}:${v.dot.counter} not covered by the clock`);
    }
  }
  if (set.mode === 'lww' && (set.clock.length > 0 || vs.length > 1)) throw new Error('sibling set: lww holds one version, no clock');
}
