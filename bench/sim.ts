/**
 * bench:sim — the simulator at scale: scenarios/partition-500.yaml (500 nodes, 256 vnodes, N=3 R=W=2, a 30 %
 * partition, skew, crashes, heal) at 2 K client ops per simulated second for 120 simulated seconds, and the
 * same at 10 K. For each: wall time, events/s, simulated-time / wall-time, peak memory (RSS), beside a bare
 * binary-heap event loop measured in the same run as the reference.
 *
 *   npm run bench:sim                    (both rates, 120 s simulated)
 *   SIM_SECONDS=30 RATES=2000 npm run bench:sim   (a quicker look)
 *
 * The npm script runs Node with --max-semi-space-size=64, as `dynalab sim run` does (see bin/dynalab.js); run
 * through plain tsx the figures are those of V8's default young generation, ~10 % slower at 120 s.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadScenario } from '../sim/scenario/load';
import { runScenario } from '../sim/run-scenario';
import { bareLoopEventsPerSecond, delaySequence } from './bare-loop';

const SIM_SECONDS = Number(process.env.SIM_SECONDS ?? 120);
const RATES = (process.env.RATES ?? '2000,10000').split(',').map(Number);

const file = resolve(new URL('.', import.meta.url).pathname, '../scenarios/partition-500.yaml');
const base = loadScenario(readFileSync(file, 'utf8'), file);
const bare = bareLoopEventsPerSecond(100_000, 2_000_000, delaySequence());
console.log(`bench:sim — partition-500 (500 nodes × 256 vnodes, N=3 R=W=2), ${SIM_SECONDS} s simulated, node ${process.version}`);
console.log(`  reference: bare binary-heap event loop, 100 K pending      ${(bare / 1e6).toFixed(2)} M events/s`);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
for (const rate of RATES) {
  const scale = SIM_SECONDS / 120;
  const scenario = {
    ...base,
    duration: SIM_SECONDS * 1e6,
    quiescence: Math.round(base.quiescence * scale),
    workload: { ...base.workload, rate },
    faults: base.faults.map((f) => ({ ...f, at: Math.round(f.at * scale) })),
  };
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  // The sampler cannot run while the simulation holds the thread; sample memory from progress callbacks too.
  const { result } = runScenario(scenario, { onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)) });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUsed = process.cpuUsage(cpuStarted);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const eventsPerSecond = result.figures.events / wall;
  // CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
  console.log(`  ${String(rate).padStart(6)} ops/s: wall ${wall.toFixed(1)} s (cpu ${cpu.toFixed(1)} s), ${result.figures.events.toLocaleString('en-US')} events, ${(eventsPerSecond / 1e3).toFixed(0)} K events/s (${(result.figures.events / cpu / 1e3).toFixed(0)} K per cpu-second)`);
  console.log(`      simulated/wall ${(result.figures.simulatedSeconds / wall).toFixed(2)}× real time (target ≥ 20× at 2 K)   events/s vs bare loop ${(eventsPerSecond / bare).toFixed(3)} (target ≥ 0.5)`);
  console.log(`      peak RSS so far ${(peakRss / 2 ** 30).toFixed(2)} GiB (target ≤ 4 GiB)   verdict ${result.verdict}: ${result.checks.map((c) => `${c.checker} ${c.verdict}`).join(', ')}`);
}
clearInterval(sampler);
