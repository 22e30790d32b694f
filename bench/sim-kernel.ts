/**
 * bench:sim-kernel — events per second of the simulator kernel with 100 K events pending, beside a bare
 * binary-heap event loop measured in the same run on the same machine (the reference). Each event
 * reschedules one successor at a pseudo-random delay, so the queue stays at 100 K throughout.
 *
 *   npm run bench:sim-kernel            (EVENTS=2000000 PENDING=100000 by default)
 */
import { EventTag, Simulator } from '../sim/simulator';

const PENDING = Number(process.env.PENDING ?? 100_000);
const EVENTS = Number(process.env.EVENTS ?? 2_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

// The same delay sequence for both loops (a cheap LCG, precomputed so PRNG cost is not measured).
const delays = new Uint32Array(1 << 20);
let state = 12345;
for (let i = 0; i < delays.length; i++) {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  delays[i] = 1 + (state % 100_000);
}

/** The reference: the smallest honest heap-ordered event loop — objects with (at, seq, fn), no hashing. */
function bareLoop(): number {
  interface E { at: number; seq: number; fn: () => void }
  const heap: E[] = [];
  let seq = 0;
  let now = 0;
  let d = 0;
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
        const r = l + 1;
        let c = l;
        if (r < n && less(heap[r]!, heap[l]!)) c = r;
        if (!less(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  let ran = 0;
  const handler = () => {
    push({ at: now + delays[d++ & 0xfffff]!, seq: seq++, fn: handler });
  };
  for (let i = 0; i < PENDING; i++) push({ at: delays[d++ & 0xfffff]!, seq: seq++, fn: handler });
  const start = process.hrtime.bigint();
  while (ran < EVENTS) {
    const e = pop();
    now = e.at;
    e.fn();
    ran++;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function kernelLoop(): { seconds: number; hash: string } {
  const simulator = new Simulator(1);
  let d = 0;
  const handler = () => {
    simulator.schedule(delays[d++ & 0xfffff]!, EventTag.Timer, handler, 1, 2);
  };
  for (let i = 0; i < PENDING; i++) simulator.schedule(delays[d++ & 0xfffff]!, EventTag.Timer, handler, 1, 2);
  const start = process.hrtime.bigint();
  simulator.run({ maxEvents: EVENTS });
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, hash: simulator.traceHash() };
}

console.log(`bench:sim-kernel — ${EVENTS.toLocaleString('en-US')} events, ${PENDING.toLocaleString('en-US')} pending, best of ${ROUNDS} (node ${process.version})`);
let bestBare = Infinity;
let bestKernel = Infinity;
let hash = '';
for (let round = 0; round < ROUNDS; round++) {
  bestBare = Math.min(bestBare, bareLoop());
  const kernel = kernelLoop();
  bestKernel = Math.min(bestKernel, kernel.seconds);
  if (hash !== '' && hash !== kernel.hash) throw new Error('kernel trace hash differed between identical rounds');
  hash = kernel.hash;
}
const bareRate = EVENTS / bestBare;
const kernelRate = EVENTS / bestKernel;
const fmt = (rate: number) => `${(rate / 1e6).toFixed(2)} M events/s`;
console.log(`  bare binary-heap loop (reference)  ${fmt(bareRate)}`);
console.log(`  dynalab kernel (trace hash on)     ${fmt(kernelRate)}   trace ${hash}`);
console.log(`  ratio kernel / bare                ${(kernelRate / bareRate).toFixed(2)}   (target ≥ 0.50)`);
