import { join } from 'node:path';
import type { Argv } from 'yargs';
import { badFlagsExit2, MAX_CHECK_SEED, parseCheckSeed, parseOutDir, parseRuns, shellWord } from '../seed';
import { runPropertyCheck } from '../../sim/property-check';
import { makeProgress } from '../progress';
import { prepareOutDirOrExit, removeCreatedDirs, writeFiles } from './sim-run';

/** What every drawn configuration is held to (sim/property-check.ts, brokenPromises), as a passing run lists it. */
const PROMISES = [
  'vector clocks keep every acknowledged write, through faults, joins and leaves',
  'last-writer-wins with clocks in step loses a write only to one that may have out-stamped it',
  'R+W>N, strict quorum, no faults, no ring change: no stale reads',
  'no faults, no ring change: one conditional write wins per version',
  'no phantom reads; every key readable after the heal; replicas agree after the heal and the final reads',
  'every join and leave finished, catch-up pass included',
];

const DEFAULT_RUNS = 100;
const DEFAULT_OUT = 'runs';

export function checkCommand(yargs: Argv): Argv {
  return yargs.command(
    'check',
    'property-based consistency checks: draw scenarios, run them, assert what each configuration promises, shrink failures',
    (y) =>
      y
        .option('runs', { type: 'string', coerce: parseRuns, describe: `scenarios to draw and run (a whole number ≥ 1; default ${DEFAULT_RUNS})` })
        .option('seed', { type: 'string', coerce: parseCheckSeed, describe: `fast-check seed, 0 to ${MAX_CHECK_SEED} (random if omitted; printed either way)` })
        .option('path', { type: 'string', coerce: parseReplayPath, describe: 'replay path printed by an earlier failure (e.g. 12:0:3)' })
        .option('sabotage', { choices: ['ack-before-fsync', 'lww'] as const, describe: 'break the store on purpose to watch the check catch it' })
        // No yargs default: with one, a bare `--out` quietly became 'runs' instead of being refused.
        .option('out', { type: 'string', coerce: parseOutDir, describe: `where to write the minimal failing scenario (default: ${DEFAULT_OUT})` })
        .fail(badFlagsExit2),
    (argv) => {
      const seed = argv.seed ?? Math.floor(Math.random() * 2 ** 31);
      const runs = argv.runs ?? DEFAULT_RUNS;
      // Checked (and created) before the run, so a bad --out does not surface only after minutes of checking.
      const out = argv.out ?? DEFAULT_OUT;
      const created = prepareOutDirOrExit(out);
      const progress = makeProgress('checking');
      const started = process.hrtime.bigint();
      let ran = 0;
      const report = runPropertyCheck({
        runs,
        seed,
        ...(argv.path ? { path: argv.path } : {}),
        ...(argv.sabotage ? { sabotage: argv.sabotage } : {}),
        // Shrinking a failure runs more scenarios than --runs: the bar stops at 100 % and says so (it read 600 %).
        onRun: () => progress.update(Math.min(++ran, runs), runs, ran > runs ? `${ran} scenarios run, shrinking a failure` : `${ran} scenarios run`),
      });
      progress.finish();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (report.ok && argv.path !== undefined && report.runs === 0) {
        removeCreatedDirs(created);
        console.error(`dynalab check: --path ${argv.path} replayed nothing: it names no run of seed ${seed} (use the seed and path a failure printed)`);
        process.exit(2);
      }
      if (report.ok) {
        console.log(`dynalab check: ${report.runs} drawn scenarios, every promise kept (${seconds.toFixed(1)} s, seed ${seed})`);
        console.log('  promises kept:');
        for (const promise of PROMISES) console.log(`    - ${promise}`);
        // The same flags that chose these runs, or the command replays other ones (found by a review).
        console.log(`replay: npx dynalab check --runs ${runs} --seed ${seed}${argv.path !== undefined ? ` --path ${argv.path}` : ''}${argv.sabotage ? ` --sabotage ${argv.sabotage}` : ''}`);
        removeCreatedDirs(created);
        return;
      }
      const failure = report.failure!;
      const file = join(out, `check-failure-seed-${seed}.yaml`);
      // A file that cannot be written costs one line on stderr and exit 2 after the whole counterexample is
      // printed (it was a stack trace, exit 1 and no counterexample; a review); the summary says it is not written.
      const problem = writeFiles([[file, failure.scenarioYaml]]);
      const written = problem === undefined;
      console.log(`dynalab check: a promise was broken (${ran} scenario runs including shrinking; seed ${seed})`);
      for (const violation of failure.violations) console.log(`  - ${violation}`);
      console.log('');
      console.log(written ? `minimal scenario written to ${file}:` : `minimal scenario (could not be written to ${file}):`);
      console.log(failure.scenarioYaml.replace(/^/gm, '  '));
      console.log(`replay: npx dynalab check --seed ${seed} --path ${failure.path} --runs 1${argv.sabotage ? ` --sabotage ${argv.sabotage}` : ''}`);
      if (written) console.log(`    or: npx dynalab sim run ${shellWord(file)}`);
      // 1: a promise was broken. check has no "unknown": an acknowledged write the final reads could not judge
      // is a broken promise (sim/property-check.ts, brokenPromises).
      process.exitCode = 1;
      if (problem !== undefined) {
        removeCreatedDirs(created);
        console.error(problem);
        process.exitCode = 2;
      }
    },
  );
}

/** A fast-check replay path: run indices separated by colons, as a failure prints it. */
function parseReplayPath(raw: string): string {
  if (!/^\d+(:\d+)*$/.test(raw)) throw new Error(`--path ${raw}: expected the replay path a failure printed, e.g. 12:0:3`);
  return raw;
}
