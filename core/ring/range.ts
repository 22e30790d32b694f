/**
 * Ranges of the 32-bit hash ring.
 *
 * A range is the half-open arc (start, end] walked clockwise: it contains every position p with
 * start < p ≤ end, wrapping through 2^32 → 0 when start ≥ end. This matches ownership: a token t owns the arc
 * from its predecessor token (exclusive) up to t (inclusive), because a key is placed at the first token ≥ its
 * position. `start === end` means the whole ring (a one-token ring owns everything).
 */
export const RING_SIZE = 0x1_0000_0000; // 2^32 positions

export interface RingRange {
  /** Exclusive start position. */
  readonly start: number;
  /** Inclusive end position. */
  readonly end: number;
}

/** Number of positions in the range (2^32 for the whole ring). */
export function rangeSize(range: RingRange): number {
  const d = range.end - range.start;
  return d > 0 ? d : d + RING_SIZE;
}

/** True if position `p` lies in (start, end], with wrap-around. */
export function rangeContains(range: RingRange, p: number): boolean {
  const { start, end } = range;
  if (start < end) return p > start && p <= end;
  return p > start || p <= end; // wraps (or whole ring when start === end)
}

/** Fraction of the ring the range covers, in (0, 1]. */
export function rangeFraction(range: RingRange): number {
  return rangeSize(range) / RING_SIZE;
}
