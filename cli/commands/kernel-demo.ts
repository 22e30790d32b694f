import type { Argv } from 'yargs';
import { parseSeed } from '../seed';
import { runKernelDemo } from '../../sim/demos/kernel-demo';
import { makeProgress } from '../progress';

export function kernelDemoCommand(yargs: Argv): Argv {
  return yargs.command(
    'kernel-demo',
    'heartbeat gossip on the simulated network through a partition and a heal; prints the trace hash',
    (y) =>
      y
        .option('seed', { type: 'string', coerce: parseSeed, describe: 'run seed (random if omitted; printed either way)' })
        .option('nodes', { type: 'number', default: 50, describe: 'cluster size (2..5000)' })
        .option('duration', { type: 'number', default: 70, describe: 'simulated seconds' })
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
    (argv) => {
      const seed = argv.seed ?? Math.floor(Math.random() * 2 ** 31);
      const durationMicros = Math.round(argv.duration * 1e6);
      const progress = makeProgress('simulating');
      const started = process.hrtime.bigint();
      const result = runKernelDemo({
        seed,
        nodes: argv.nodes,
        durationMicros,
        partitionAtMicros: Math.round(durationMicros * (15 / 70)),
        healAtMicros: Math.round(durationMicros * (40 / 70)),
        onProgress: (done, total) => progress.update(done, total, `${(done / 1e6).toFixed(0)} s simulated`),
      });
      progress.finish();
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (argv.json) {
        console.log(JSON.stringify({ ...result, wallMs }, null, 2));
        return;
      }
      const seconds = (micros: number | null) => (micros === null ? 'never' : `${(micros / 1e6).toFixed(1)} s`);
      const shown = result.minority.slice(0, 8).join(', ') + (result.minority.length > 8 ? ', …' : '');
      console.log(`dynalab kernel demo — ${result.nodes} nodes, heartbeat gossip every 0.5 s, φ accrual failure detection (threshold 8)`);
      console.log(`seed ${result.seed}`);
      console.log('');
      console.log(`  before the partition     every node sees ${result.averageView.beforePartition.toFixed(1)} of ${result.nodes} members live (average)`);
      console.log(`  partition                ${result.minority.length} nodes cut off: ${shown}`);
      console.log(`    majority side sees     ${result.averageView.duringPartitionMajority.toFixed(1)} live (expected ${result.nodes - result.minority.length})`);
      console.log(`    minority side sees     ${result.averageView.duringPartitionMinority.toFixed(1)} live (expected ${result.minority.length})`);
      console.log(`    detected after         ${result.detectionMicrosAfterPartition === null ? 'not before the heal' : seconds(result.detectionMicrosAfterPartition)} (every majority node dropped every minority node)`);
      console.log(`  heal                     views converged after ${seconds(result.convergenceMicrosAfterHeal)}`);
      console.log(`  at the end               ${result.averageView.end.toFixed(1)} live (average)`);
      console.log('');
      console.log(`  messages                 ${result.network.sent} sent, ${result.network.delivered} delivered, ${result.network.droppedPartition} stopped by the partition, ${result.network.droppedLoss} lost`);
      console.log(`  events                   ${result.events} in ${wallMs.toFixed(0)} ms wall for ${(result.simulatedMicros / 1e6).toFixed(0)} s simulated`);
      console.log(`  trace hash               ${result.traceHash}`);
      console.log('');
      console.log(`replay: npx dynalab sim kernel-demo --seed ${result.seed} --nodes ${result.nodes} --duration ${argv.duration}`);
    },
  );
}
