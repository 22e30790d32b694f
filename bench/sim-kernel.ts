/**
 * bench:sim-kernel — events per second of the simulator kernel with 100 K events pending, beside a bare
 * binary-heap event loop measured in the same run on the same machine (the reference). Each event
 * reschedules one successor at a pseudo-random delay, so the queue stays at 100 K throughout.
 *
 *   npm run bench:sim-kernel            (EVENTS=2000000 PENDING=100000 by default)
 */
import { EventTag, Simulator } from '../sim/simulator';
import { bareLoopEventsPerSecond, delaySequence } from './bare-loop';

const PENDING = Number(process.env.PENDING ?? 100_000);
const EVENTS = Number(process.env.EVENTS ?? 2_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

// The same delay sequence for both loops, precomputed so PRNG cost is not measured.
const delays = delaySequence();

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
  bestBare = Math.min(bestBare, EVENTS / bareLoopEventsPerSecond(PENDING, EVENTS, delays));
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
