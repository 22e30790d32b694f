/**
 * Version vectors: per actor, the highest event counter seen.
 *
 * Represented as an array of entries sorted by actor id (code-unit order), one per actor, counter ≥ 1. The
 * sorted array makes merge a linear zip, comparison allocation-free, and the encoding canonical (equal vectors
 * encode to equal bytes — the etag relies on that). A missing actor means counter 0.
 *
 * Each entry also carries `micros`: the writing actor's local clock when it produced that counter. It plays no
 * part in causality (comparisons ignore it); it is what pruning (prune.ts) uses to find the oldest entries.
 *
 * Semantics in this module: vv[a] = c means "every event of actor a with counter ≤ c is known". Counters of one
 * actor need not be contiguous (see dvv.ts for why ours skip ahead), only increasing.
 */
export type ActorId = string;

export interface ClockEntry {
  readonly actor: ActorId;
  readonly counter: number;
  readonly micros: number;
}

export type VersionVector = readonly ClockEntry[];

/** A single event: actor `actor`'s event number `counter`. */
export interface Dot {
  readonly actor: ActorId;
  readonly counter: number;
}

export type Ordering = 'equal' | 'before' | 'after' | 'concurrent';

export const EMPTY_VV: VersionVector = Object.freeze([]) as VersionVector;

export function compareActors(a: ActorId, b: ActorId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on dots: by actor, then counter. */
export function compareDots(a: Dot, b: Dot): number {
  return compareActors(a.actor, b.actor) || a.counter - b.counter;
}

/** The counter of `actor` in `vv` (0 if absent). Binary search. */
export function counterOf(vv: VersionVector, actor: ActorId): number {
  return entryOf(vv, actor)?.counter ?? 0;
}

export function entryOf(vv: VersionVector, actor: ActorId): ClockEntry | undefined {
  let lo = 0;
  let hi = vv.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = vv[mid]!;
    if (e.actor === actor) return e;
    if (e.actor < actor) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

/** True if `vv` has seen event `dot`. */
export function covers(vv: VersionVector, dot: Dot): boolean {
  return counterOf(vv, dot.actor) >= dot.counter;
}

function laterEntry(a: ClockEntry, b: ClockEntry): ClockEntry {
  if (a.counter !== b.counter) return a.counter > b.counter ? a : b;
  return a.micros >= b.micros ? a : b; // same event; keep the larger stamp so merge stays commutative
}

/** Pointwise maximum (the join of the two causal histories). */
export function mergeVV(a: VersionVector, b: VersionVector): VersionVector {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: ClockEntry[] = [];
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    const c = compareActors(x.actor, y.actor);
    if (c < 0) { out.push(x); i++; }
    else if (c > 0) { out.push(y); j++; }
    else { out.push(laterEntry(x, y)); i++; j++; }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** `vv` with actor's entry set to (counter, micros), inserted in order if absent. */
export function withEntry(vv: VersionVector, actor: ActorId, counter: number, micros: number): VersionVector {
  const out: ClockEntry[] = [];
  let placed = false;
  for (const e of vv) {
    if (!placed && e.actor >= actor) {
      out.push({ actor, counter, micros });
      placed = true;
      if (e.actor === actor) continue;
    }
    out.push(e);
  }
  if (!placed) out.push({ actor, counter, micros });
  return out;
}

/** True if `a` has seen everything `b` has (a ≥ b pointwise). Every vector descends from itself. */
export function descends(a: VersionVector, b: VersionVector): boolean {
  let i = 0;
  for (const y of b) {
    while (i < a.length && a[i]!.actor < y.actor) i++;
    const x = a[i];
    if (x === undefined || x.actor !== y.actor || x.counter < y.counter) return false;
  }
  return true;
}

/** Same causal history (micros ignored). */
export function equalVV(a: VersionVector, b: VersionVector): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.actor !== b[i]!.actor || a[i]!.counter !== b[i]!.counter) return false;
  }
  return true;
}

/** Neither descends from the other. */
export function concurrent(a: VersionVector, b: VersionVector): boolean {
  return !descends(a, b) && !descends(b, a);
}

/** 'before' means a happened before b (b strictly descends a). */
export function compareVV(a: VersionVector, b: VersionVector): Ordering {
  const ab = descends(a, b);
  const ba = descends(b, a);
  if (ab && ba) return 'equal';
  if (ab) return 'after';
  if (ba) return 'before';
  return 'concurrent';
}

/** Throws unless entries are sorted by actor, unique, with counters in 1 … 2^53−1. */
export function assertVV(vv: VersionVector, what = 'version vector'): void {
  for (let i = 0; i < vv.length; i++) {
    const e = vv[i]!;
    if (!Number.isSafeInteger(e.counter) || e.counter < 1) throw new Error(`${what}: bad counter ${e.counter} for ${e.actor}`);
    if (!Number.isSafeInteger(e.micros)) throw new Error(`${what}: bad micros ${e.micros} for ${e.actor}`);
    if (i > 0 && !(vv[i - 1]!.actor < e.actor)) throw new Error(`${what}: actors not strictly sorted at ${e.actor}`);
  }
}
