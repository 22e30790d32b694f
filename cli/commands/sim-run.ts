import { mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { join, parse, resolve, sep } from 'node:path';
import type { Argv } from 'yargs';
import { badFlagsExit2, parseOutDir, parseSeed, shellWord } from '../seed';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';
import type { Scenario } from '../../sim/scenario/schema';
import { runScenario, type RunResult } from '../../sim/run-scenario';
import { makeProgress } from '../progress';

/** Reads and validates a scenario file, exiting with the validation errors (file:line:col) if it is bad. */
export function readScenarioOrExit(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    console.error(`dynalab: cannot read scenario '${file}': ${(error as Error).message}`);
    process.exit(2);
  }
  try {
    return loadScenario(text, file);
  } catch (error) {
    if (error instanceof ScenarioError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Makes sure `dir` is a directory this process can write in, creating it and any missing parents, before a
 * run starts: a bad `--out` (under a regular file, an existing file, somewhere unwritable) then fails at once
 * with one line and exit 2, not after the run with a stack trace. Returns the directories it created, outermost
 * first (see removeCreatedDirs). Walks the path itself: `mkdirSync(…, { recursive: true })` spins forever on
 * some paths (e.g. under /proc).
 */
export function prepareOutDirOrExit(dir: string): string[] {
  const created: string[] = [];
  const absolute = resolve(dir);
  try {
    let current = parse(absolute).root;
    for (const part of absolute.slice(current.length).split(sep).filter((p) => p !== '')) {
      current = join(current, part);
      let stat: Stats | undefined;
      try {
        stat = statSync(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (stat === undefined) {
        mkdirSync(current);
        created.push(current);
      } else if (!stat.isDirectory()) {
        throw new Error(`${current} exists and is not a directory`);
      }
    }
    const probe = join(absolute, `.dynalab-write-test-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
    return created;
  } catch (error) {
    removeCreatedDirs(created);
    console.error(`dynalab: cannot write to --out '${dir}': ${(error as Error).message}`);
    process.exit(2);
  }
}

/** Removes directories prepareOutDirOrExit created, if still empty (a run that had nothing to write). */
export function removeCreatedDirs(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/**
 * The exit code of a run's verdict: 0 ok, 1 a check failed, 3 no check failed but one could not be judged
 * (unknown: e.g. linearizability out of search budget). 2 is bad input or usage (a flag, a scenario file, an
 * output file that cannot be written).
 */
export function verdictExitCode(verdict: RunResult['verdict']): number {
  return verdict === 'fail' ? 1 : verdict === 'unknown' ? 3 : 0;
}

/**
 * Writes each [path, contents] in order and stops at the first that cannot be written, returning one line that
 * names the file and the OS error (for stderr; no stack trace), or undefined when every file was written.
 */
export function writeFiles(files: readonly (readonly [string, string])[]): string | undefined {
  for (const [path, contents] of files) {
    try {
      writeFileSync(path, contents);
    } catch (error) {
      return `dynalab: cannot write ${path}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

export function formatResult(result: RunResult, wallSeconds: number, replay: string): string {
  const f = result.figures;
  const lines: string[] = [];
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`);
  const lat = (name: keyof RunResult['figures']['latency']) => {
    const l = f.latency[name];
    // Under 1000 samples the p999 is the largest one (and under 100 so is the p99): said, not dressed up.
    const p999 = l.count < 1000 ? `max ${l.p999Ms} ms` : `p999 ${l.p999Ms} ms`;
    return l.count === 0 ? 'none' : `p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  ${p999}  (${l.count})`;
  };
  lines.push(`scenario ${result.scenario} — seed ${result.seed}`);
  lines.push('');
  lines.push('checks');
  for (const check of result.checks) {
    const mark = check.verdict === 'ok' ? 'ok     ' : check.verdict === 'fail' ? 'FAIL   ' : 'unknown';
    lines.push(`  ${mark} ${check.checker.padEnd(20)} ${check.summary}`);
  }
  lines.push('');
  lines.push('figures');
  lines.push(`  operations        ${f.operations.completed} completed: ${f.operations.ok} ok, ${f.operations.fail} failed, ${f.operations.info} unknown; ${f.operations.shed} shed (all clients busy)`);
  const finalFailed = f.finalReads.fail > 0 ? ` (${f.finalReads.fail} failed attempts retried)` : '';
  lines.push(`  final reads       ${f.finalReads.ok} keys read after the run at R = N${finalFailed}; not counted above`);
  lines.push(`  latency  get      ${lat('get')}`);
  lines.push(`           put      ${lat('put')}`);
  if (f.latency.delete.count > 0) lines.push(`           delete   ${lat('delete')}`);
  if (f.latency.cas.count > 0) lines.push(`           cas      ${lat('cas')}`);
  lines.push(`  availability      ${pct(f.availability.duringFaults)} during faults (${f.availability.faultSeconds.toFixed(1)} s), ${pct(f.availability.outsideFaults)} outside`);
  const stale = result.checks.find((c) => c.checker === 'stale-reads');
  if (stale) lines.push(`  stale reads       ${stale.figures.staleReads ?? 0} of ${stale.figures.reads ?? 0} (rate ${stale.figures.staleRate ?? 0})`);
  const siblings = result.checks.find((c) => c.checker === 'siblings');
  if (siblings) lines.push(`  siblings          mean ${(siblings.figures.mean ?? 0).toFixed(2)}, p99 ${siblings.figures.p99 ?? 0}, max ${siblings.figures.max ?? 0}`);
  const convergence = result.checks.find((c) => c.checker === 'convergence');
  if (convergence) lines.push(`  convergence       ${convergence.summary}`);
  lines.push(`  hints             ${f.hints.stored} stored (${f.hints.refreshed} re-stamped a waiting hint), ${f.hints.delivered} delivered, ${f.hints.expired} expired, ${f.hints.pendingAtEnd} pending at end`);
  lines.push(`  repairs           ${f.readRepairs} read repairs, ${f.substitutions} stand-in substitutions, ${f.casConflicts} cas conflicts`);
  // Only when something went wrong: a boot that failed, a node that never came back (figures.restarts).
  const restarts = f.restarts;
  if (restarts !== undefined && (restarts.failed.length > 0 || restarts.downAtEnd.length > 0)) {
    const failed = restarts.failed.map((r) => `${r.node} at ${r.atSeconds} s (${r.error})`).join('; ');
    lines.push(`  restarts          ${restarts.failed.length} failed to boot${failed ? `: ${failed}` : ''}; ${restarts.downAtEnd.length === 0 ? 'none' : restarts.downAtEnd.join(', ')} down at the end`);
  }
  const ae = f.antiEntropy;
  if (ae.exchanges > 0) lines.push(`  anti-entropy      ${ae.keysRepaired} repairs: ${ae.exchanges} Merkle exchanges compared ${ae.keysCompared} keys by hash, sent ${ae.keysSent} sibling sets`);
  const m = f.membership;
  if (m !== undefined) {
    for (const c of m.changes) {
      const caughtUp = c.caughtUpSeconds === null ? ', catch-up not finished' : `, caught up after ${c.caughtUpSeconds.toFixed(1)} s`;
      const took = c.totalSeconds === null ? 'not finished' : `done after ${c.totalSeconds.toFixed(1)} s (transfer ${(c.transferSeconds! * 1000).toFixed(1)} ms)${caughtUp}`;
      // c.keys counts sibling sets, not distinct keys: a joiner pulls each arc from every old replica, a leaver
      // pushes to every new one, and the catch-up pass adds its own (core/membership/membership.ts).
      const moved = c.kind === 'join' ? 'sibling sets received (from every old replica, catch-up included)' : 'sibling sets sent (to every new replica, catch-up included)';
      lines.push(`  membership        ${c.kind} ${c.node} at ${c.atSeconds.toFixed(1)} s: ${c.keys} ${moved} over ${c.streams} streams, ${took}`);
    }
    const converged = m.ringConvergedAfterSeconds === null ? 'not converged' : `converged ${m.ringConvergedAfterSeconds.toFixed(1)} s after the last change`;
    lines.push(`  ring              ${m.members.length} members (${m.members.join(', ')}), ring version ${m.ringVersion}, ${converged}`);
  }
  if (f.load !== null) {
    const ops = f.load.replicaOperations;
    const stored = f.load.storedBytes;
    lines.push(`  load              replica ops per node: mean ${Math.round(ops.mean)}, busiest ${ops.maxOverMean.toFixed(2)}× the mean (${ops.busiest}), spread ${(100 * ops.coefficientOfVariation).toFixed(1)} %, ${ops.outOfBalance} of ${f.load.nodes} nodes > 15 % off the mean`);
    lines.push(`                    stored bytes per node: busiest ${stored.maxOverMean.toFixed(2)}× the mean, spread ${(100 * stored.coefficientOfVariation).toFixed(1)} %`);
  }
  lines.push(`  network           ${f.network.sent} messages (${(f.network.bytesSent / 1e6).toFixed(1)} MB), ${f.network.droppedPartition} stopped by partitions, ${f.network.droppedLoss} lost, ${f.network.droppedDeadHost} to dead nodes`);
  lines.push(`  disk              ${(f.disk.bytesWritten / 1e6).toFixed(1)} MB written, ${f.disk.syncs} fsyncs (p50 ${f.disk.syncP50Ms} ms, p99 ${f.disk.syncP99Ms} ms)`);
  lines.push(`  simulation        ${f.events} events, ${f.simulatedSeconds.toFixed(1)} s simulated in ${wallSeconds.toFixed(1)} s wall (${(f.simulatedSeconds / Math.max(wallSeconds, 1e-9)).toFixed(1)}× real time)`);
  if (result.nemesis.length > 0) {
    lines.push('');
    lines.push('faults');
    for (const entry of result.nemesis) lines.push(`  ${(entry.time / 1e6).toFixed(1).padStart(7)} s  ${entry.action}`);
  }
  // The first failing check that has one: a check that fails without counterexamples (convergence) listed
  // first hid those of the checks after it (a review).
  const failed = result.checks.find((c) => c.verdict === 'fail' && c.counterexamples.length > 0);
  if (failed && failed.counterexamples[0]) {
    const first = failed.counterexamples[0];
    lines.push('');
    // Checkers that judge run figures (membership) name a node and no history events.
    const where = first.events.length > 0 ? `key ${first.key}, history events ${first.events.join(', ')}` : first.key;
    lines.push(`first counterexample (${failed.checker}, ${where}):`);
    lines.push(`  ${first.explanation}`);
  }
  lines.push('');
  lines.push(`verdict ${result.verdict.toUpperCase()}   trace ${result.traceHash}`);
  lines.push(`replay: ${replay}`);
  return lines.join('\n');
}

export function simRunCommand(yargs: Argv): Argv {
  return yargs.command(
    'run <scenario>',
    'run a scenario file: verdicts, figures, the trace hash and the replay command',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .option('seed', { type: 'string', coerce: parseSeed, describe: "override the scenario's seed" })
        .option('out', { type: 'string', coerce: parseOutDir, describe: 'directory for result.json, history.jsonl and trace-hash' })
        .option('json', { type: 'boolean', default: false, describe: 'print result.json to stdout instead of the summary' })
        .fail(badFlagsExit2),
    (argv) => {
      const file = argv.scenario as string;
      const scenario = readScenarioOrExit(file);
      const seed = argv.seed ?? scenario.seed;
      if (argv.out !== undefined) prepareOutDirOrExit(argv.out);
      const progress = makeProgress(`${scenario.name} (seed ${seed})`);
      const started = process.hrtime.bigint();
      const { result, history } = runScenario(scenario, {
        seed,
        onProgress: (done, total, operations) => progress.update(done, total, `${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} s simulated, ${operations} ops`),
      });
      progress.finish();
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const replay = `npx dynalab sim run ${shellWord(file)} --seed ${seed}`;
      const json = JSON.stringify({ ...result, wallSeconds, replay }, null, 2);
      // The summary first: a file that cannot be written (a directory named result.json, a disk full) then
      // costs one line on stderr and exit 2, not the run's results and a stack trace with exit 1 (a review).
      console.log(argv.json ? json : formatResult(result, wallSeconds, replay));
      process.exitCode = verdictExitCode(result.verdict);
      const out = argv.out;
      if (out !== undefined) {
        const problem = writeFiles([
          [join(out, 'result.json'), json + '\n'],
          [join(out, 'history.jsonl'), history.toJsonLines()],
          [join(out, 'trace-hash'), `${result.traceHash}\n`],
        ]);
        if (problem !== undefined) {
          console.error(problem);
          process.exitCode = 2;
        } else if (!argv.json) console.log(`wrote ${join(out, 'result.json')}, history.jsonl (${history.events.length} events), trace-hash`);
      }
    },
  );
}
