import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { kernelDemoCommand } from './commands/kernel-demo';
import { deployCommand } from './commands/deploy';
import { kvCommand } from './commands/kv';
import { serveCommand } from './commands/serve';

/**
 * The dynalab command line. Verbs whose issue has not landed say so and exit with status 2 rather than
 * pretending: a user should never mistake a stub for a result.
 */
function notYet(what: string, issue: number) {
  return () => {
    console.error(`dynalab: '${what}' is not yet available (tracked in issue #${issue}).`);
    process.exit(2);
  };
}

await yargs(hideBin(process.argv))
  .scriptName('dynalab')
  .usage('$0 <command> [options]')
  .command('sim', 'run the deterministic simulator', (y) =>
    kernelDemoCommand(y)
      .command('run <scenario>', 'run a scenario file and print verdicts, figures and the trace hash', {}, notYet('sim run', 5))
      .command('compare <scenario>', 'run one scenario across variants, side by side', {}, notYet('sim compare', 5))
      .demandCommand(1, 'name a sim command: kernel-demo, run, compare'),
  )
  .command('check', 'property-based consistency checks over drawn fault schedules', {}, notYet('check', 5))
  .command('report', 'capacity reports (Markdown/HTML + charts)', {}, notYet('report', 5))
  .command(serveCommand)
  .command(deployCommand)
  .command(kvCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .help()
  .parseAsync();
