import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitQuietlyOnClosedPipe } from './closed-pipe';
import { checkCommand } from './commands/check';
import { kernelDemoCommand } from './commands/kernel-demo';
import { deployCommand } from './commands/deploy';
import { kvCommand } from './commands/kv';
import { reportCommand } from './commands/report';
import { serveCommand } from './commands/serve';
import { simCompareCommand } from './commands/sim-compare';
import { simRunCommand } from './commands/sim-run';

/** Options a user may repeat (each time adds one), and yargs' own lists; any other given twice is refused. */
const REPEATABLE = new Set(['_', '--', 'vary']);

// Not `serve` and `deploy`: they keep running on a closed log (keepRunningOnClosedLog); exiting here skipped
// deploy's stopping of its nodes and left them running (a review).
if (!['serve', 'deploy'].includes(process.argv[2] ?? '')) exitQuietlyOnClosedPipe();

await checkCommand(yargs(hideBin(process.argv)))
  .scriptName('dynalab')
  // yargs turns a repeated option into an array, which a string option's handler then tripped over
  // (`--out a --out b`: "dir.trim is not a function"; a review).
  .middleware((argv) => {
    for (const [name, value] of Object.entries(argv)) {
      // (yargs also keys a dashed option by its camelCase name: the dashed spelling is reported.)
      if (Array.isArray(value) && !REPEATABLE.has(name) && !/[A-Z]/.test(name)) {
        console.error(`dynalab: --${name} is given ${value.length} times (${value.join(', ')}); give it once (see --help)`);
        process.exit(2);
      }
    }
  }, true)
  .usage('$0 <command> [options]')
  .command('sim', 'run the deterministic simulator', (y) =>
    simCompareCommand(simRunCommand(kernelDemoCommand(y)))
      .demandCommand(1, 'name a sim command: kernel-demo, run, compare'),
  )
  .command('report', 'capacity reports (Markdown/HTML + charts)', (y) => reportCommand(y).demandCommand(1, 'name a report: capacity'))
  .command(serveCommand)
  .command(deployCommand)
  .command(kvCommand)
  // (.fail adds "(see --help)"; said here too, it was printed twice.)
  .demandCommand(1, 'name a command')
  .strict()
  // A misspelled command or flag is bad input (exit 2, one line), not a failed check (exit 1; a review found
  // `sim frobnicate` exiting 1). An error thrown by a command itself is passed on unchanged.
  .fail((message, error) => {
    if (error !== undefined && error !== null && !message) throw error;
    console.error(`dynalab: ${message ?? 'bad arguments'} (see --help)`);
    process.exit(2);
  })
  .help()
  .parseAsync();
