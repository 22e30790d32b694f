/**
 * The reference every simulator benchmark is measured against: the smallest honest heap-ordered event loop —
 * event objects with (time, sequence, callback), a binary heap, no hashing, no bookkeeping. Each event
 * reschedules one successor at a pseudo-random delay, so the queue stays at `pending` events throughout.
 * Returns events per second.
 */
export function bareLoopEventsPerSecond(pending: number, events: number, delays: Uint32Array): number {
  interface E { at: number; seq: number; fn: () => void }
  const heap: E[] = [];
  let seq = 0;
  let now = 0;
  let d = 0;
  const mask = delays.length - 1;
  if ((delays.length & mask) !== 0) throw new RangeError('delays length must be a power of two');
  const less = (a: E, b: E) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const push = (e: E) => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, heap[p]!)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = e;
  };
  const pop = (): E => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && less(heap[l + 1]!, heap[l]!) ? l + 1 : l;
        if (!less(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  const handler = () => push({ at: now + delays[d++ & mask]!, seq: seq++, fn: handler });
  for (let i = 0; i < pending; i++) push({ at: delays[d++ & mask]!, seq: seq++, fn: handler });
  const start = process.hrtime.bigint();
  for (let ran = 0; ran < events; ran++) {
    const e = pop();
    now = e.at;
    e.fn();
  }
  return events / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** A fixed pseudo-random delay sequence (1..100 000 µs), precomputed so PRNG cost is not measured. */
export function delaySequence(length = 1 << 20): Uint32Array {
  const delays = new Uint32Array(length);
  let state = 12345;
  for (let i = 0; i < delays.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    delays[i] = 1 + (state % 100_000);
  }
  return delays;
}
