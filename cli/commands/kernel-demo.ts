import type { Argv } from 'yargs';
import { badFlagsExit2, flagText, parseSeed, wholeNumber } from '../seed';
import {
  KERNEL_DEMO_DEFAULT_DURATION_MICROS,
  KERNEL_DEMO_MAX_NODES,
  KERNEL_DEMO_MIN_NODES,
  kernelDemoMinimumDuration,
  kernelDemoSchedule,
  runKernelDemo,
  type KernelDemoResult,
} from '../../sim/demos/kernel-demo';
import { makeProgress } from '../progress';

const DEFAULT_DURATION_SECONDS = KERNEL_DEMO_DEFAULT_DURATION_MICROS / 1e6;

/**
 * `--nodes`: a whole number from 2 to 5000. The flag is read as a string so that `--nodes abc`, `--nodes 3.5`
 * or `--nodes ""` are refused with what was typed, not turned into NaN, 3.5 or 0 and thrown at mid-run.
 */
export function parseNodes(value: unknown): number {
  return wholeNumber('--nodes', value, KERNEL_DEMO_MIN_NODES, KERNEL_DEMO_MAX_NODES);
}

/** `--duration`: simulated seconds, a number > 0 (whether it is long enough depends on --nodes: durationProblem). */
export function parseDuration(value: unknown): number {
  const text = flagText(value);
  const parsed = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isFinite(parsed) && parsed > 0)) {
    throw new Error(`--duration must be a number of simulated seconds > 0, got '${String(value)}'`);
  }
  return parsed;
}

/** Why `durationSeconds` is too short for `nodes` nodes (one line), or null if it is long enough. */
export function durationProblem(nodes: number, durationSeconds: number): string | null {
  const minimum = kernelDemoMinimumDuration(nodes);
  if (Math.round(durationSeconds * 1e6) >= minimum.durationMicros) return null;
  const s = (micros: number) => `${(micros / 1e6).toFixed(1)} s`;
  return (
    `--duration ${durationSeconds} is too short for ${nodes} nodes: it needs at least ${minimum.durationMicros / 1e6} s ` +
    `(${s(minimum.warmUpMicros)} of warm-up before the partition at 15/70 of it, ${s(minimum.detectionMicros)} to detect the ` +
    `partition before the heal at 40/70, ${s(minimum.afterHealMicros)} to converge after the heal)`
  );
}

/** The "detected after" line(s): when every majority node dropped every minority node, or how far it got. */
export function detectionLine(result: KernelDemoResult): string {
  if (result.detectionMicrosAfterPartition !== null) {
    return `    detected after         ${(result.detectionMicrosAfterPartition / 1e6).toFixed(1)} s (every majority node dropped every minority node)`;
  }
  const dropped = result.droppedBeforeHeal;
  const minority = result.minority.length;
  const nodesWord = (count: number) => (count === 1 ? 'node' : 'nodes');
  return (
    `    not detected           before the heal: ${dropped.droppedEveryMinorityNode} of ${dropped.majorityNodes} majority ${nodesWord(dropped.majorityNodes)} ` +
    `had dropped all ${minority} minority ${nodesWord(minority)} (a majority node had dropped ${dropped.averageMinorityNodesDropped.toFixed(1)} of ${minority} on average)`
  );
}

/** The human-readable report (without the progress display). */
export function formatKernelDemo(result: KernelDemoResult, durationSeconds: number, wallMs: number): string {
  const seconds = (micros: number | null) => (micros === null ? 'never' : `${(micros / 1e6).toFixed(1)} s`);
  const shown = result.minority.slice(0, 8).join(', ') + (result.minority.length > 8 ? ', …' : '');
  const lines = [
    `dynalab kernel demo — ${result.nodes} nodes, heartbeat gossip every 0.5 s, φ accrual failure detection (threshold 8)`,
    `seed ${result.seed}`,
  ];
  // The default schedule (15 s and 40 s of 70) is the one the README describes; any other --duration moves it.
  if (durationSeconds !== DEFAULT_DURATION_SECONDS) {
    lines.push(`partition at ${seconds(result.partitionAtMicros)}, heal at ${seconds(result.healAtMicros)} (15/70 and 40/70 of --duration ${durationSeconds})`);
  }
  lines.push(
    '',
    `  before the partition     every node sees ${result.averageView.beforePartition.toFixed(1)} of ${result.nodes} members live (average)`,
    `  partition                ${result.minority.length} nodes cut off: ${shown}`,
    `    majority side sees     ${result.averageView.duringPartitionMajority.toFixed(1)} live (expected ${result.nodes - result.minority.length})`,
    `    minority side sees     ${result.averageView.duringPartitionMinority.toFixed(1)} live (expected ${result.minority.length})`,
    detectionLine(result),
    `  heal                     views converged after ${seconds(result.convergenceMicrosAfterHeal)}`,
    `  at the end               ${result.averageView.end.toFixed(1)} live (average)`,
    '',
    `  messages                 ${result.network.sent} sent, ${result.network.delivered} delivered, ${result.network.droppedPartition} stopped by the partition, ${result.network.droppedLoss} lost`,
    `  events                   ${result.events} in ${wallMs.toFixed(0)} ms wall for ${Number((result.simulatedMicros / 1e6).toFixed(1))} s simulated`,
    `  trace hash               ${result.traceHash}`,
    '',
    `replay: npx dynalab sim kernel-demo --seed ${result.seed} --nodes ${result.nodes} --duration ${durationSeconds}`,
  );
  return lines.join('\n');
}

export function kernelDemoCommand(yargs: Argv): Argv {
  return yargs.command(
    'kernel-demo',
    'heartbeat gossip on the simulated network through a partition and a heal; prints the trace hash',
    (y) =>
      y
        .option('seed', { type: 'string', coerce: parseSeed, describe: 'run seed (random if omitted; printed either way)' })
        .option('nodes', {
          type: 'string',
          default: 50,
          coerce: parseNodes,
          describe: `cluster size, ${KERNEL_DEMO_MIN_NODES}..${KERNEL_DEMO_MAX_NODES}; wall time grows with the square of it (about 0.3 s at 50 nodes, 30 s at 500)`,
        })
        .option('duration', {
          type: 'string',
          default: DEFAULT_DURATION_SECONDS,
          coerce: parseDuration,
          describe:
            'simulated seconds; the partition starts at 15/70 of it and heals at 40/70 (15 s and 40 s of 70). ' +
            `It must leave time to warm up, detect the partition and converge: at least ${kernelDemoMinimumDuration(50).durationMicros / 1e6} s for 50 nodes, ` +
            `${kernelDemoMinimumDuration(500).durationMicros / 1e6} s for 500`,
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
        .fail(badFlagsExit2),
    (argv) => {
      const nodes = argv.nodes as number;
      const duration = argv.duration as number;
      const problem = durationProblem(nodes, duration);
      if (problem !== null) badFlagsExit2(problem, undefined);
      const seed = argv.seed ?? Math.floor(Math.random() * 2 ** 31);
      const durationMicros = Math.round(duration * 1e6);
      const progress = makeProgress('simulating');
      const started = process.hrtime.bigint();
      const result = runKernelDemo({
        seed,
        nodes,
        durationMicros,
        ...kernelDemoSchedule(durationMicros),
        onProgress: (done, total) => progress.update(done, total, `${(done / 1e6).toFixed(0)} s simulated`),
      });
      progress.finish();
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (argv.json) {
        console.log(JSON.stringify({ ...result, wallMs }, null, 2));
        return;
      }
      console.log(formatKernelDemo(result, duration, wallMs));
    },
  );
}
