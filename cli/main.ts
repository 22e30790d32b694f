import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkCommand } from './commands/check';
import { kernelDemoCommand } from './commands/kernel-demo';
import { deployCommand } from './commands/deploy';
import { kvCommand } from './commands/kv';
import { serveCommand } from './commands/serve';
import { simCompareCommand } from './commands/sim-compare';
import { simRunCommand } from './commands/sim-run';

/**
 * The dynalab command line. Verbs whose issue has not landed say so and exit with status 2 rather than
 * pretending: a user should never mistake a stub for a result.
 */
function notYet(what: string) {
  return () => {
    console.error(`dynalab: '${what}' is not yet available.`);
    process.exit(2);
  };
}

await checkCommand(yargs(hideBin(process.argv)))
  .scriptName('dynalab')
  .usage('$0 <command> [options]')
  .command('sim', 'run the deterministic simulator', (y) =>
    simCompareCommand(simRunCommand(kernelDemoCommand(y)))
      .demandCommand(1, 'name a sim command: kernel-demo, run, compare'),
  )
  .command('report', 'capacity reports (Markdown/HTML + charts)', {}, notYet('report capacity'))
  .command(serveCommand)
  .command(deployCommand)
  .command(kvCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .help()
  .parseAsync();
