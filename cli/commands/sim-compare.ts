import type { Argv } from 'yargs';
import { badFlagsExit2, parseSeed, shellWord } from '../seed';
import { runScenario, type LatencySummary, type RunResult } from '../../sim/run-scenario';
import { expandVariants, knobFieldHint, VARY_HELP } from '../../sim/variants';
import { makeProgress } from '../progress';
import { readScenarioOrExit } from './sim-run';

/** "p50 / p99" (and "/ p999") of a latency summary, or "none" when no such operation completed. */
function latencies(summary: LatencySummary, withP999: boolean): string {
  if (summary.count === 0) return 'none';
  return `${summary.p50Ms} / ${summary.p99Ms}${withP999 ? ` / ${summary.p999Ms}` : ''}`;
}

/** One row per figure, one column per variant: the same seed and fault schedule, one knob changed. */
export function compareTable(rows: { label: string; result: RunResult }[]): string {
  const figure = (name: string, get: (r: RunResult) => string) => [name, ...rows.map((row) => get(row.result))];
  const check = (name: string) => (r: RunResult) => {
    const c = r.checks.find((x) => x.checker === name);
    return c === undefined ? '—' : c.verdict;
  };
  const fig = (checker: string, key: string, digits = 0) => (r: RunResult) => {
    const value = r.checks.find((x) => x.checker === checker)?.figures[key];
    return value === undefined ? '—' : digits > 0 ? value.toFixed(digits) : String(value);
  };
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
  const table = [
    ['', ...rows.map((row) => row.label)],
    figure('verdict', (r) => r.verdict),
    ...[...new Set(rows.flatMap((row) => row.result.checks.map((c) => c.checker)))].map((name) => figure(`  ${name}`, check(name))),
    figure('lost acked writes', fig('lost-writes', 'lost')),
    figure('lww overwrites lost', fig('lww-lost-overwrites', 'lostOverwrites')),
    figure('stale-read rate', fig('stale-reads', 'staleRate', 4)),
    figure('siblings mean / max', (r) => `${fig('siblings', 'mean', 2)(r)} / ${fig('siblings', 'max')(r)}`),
    figure('get p50 / p99 ms', (r) => latencies(r.figures.latency.get, false)),
    figure('put p50 / p99 / p999 ms', (r) => latencies(r.figures.latency.put, true)),
    figure('availability in faults', (r) => pct(r.figures.availability.duringFaults)),
    figure('ops ok / fail / unknown', (r) => `${r.figures.operations.ok} / ${r.figures.operations.fail} / ${r.figures.operations.info}`),
    figure('hints stored / delivered', (r) => `${r.figures.hints.stored} / ${r.figures.hints.delivered}`),
    figure('read repairs', (r) => String(r.figures.readRepairs)),
    figure('anti-entropy repairs', (r) => String(r.figures.antiEntropy.keysRepaired)),
    figure('messages', (r) => String(r.figures.network.sent)),
    figure('disk written MB', (r) => (r.figures.disk.bytesWritten / 1e6).toFixed(1)),
    figure('fsync p50 / p99 ms', (r) => `${r.figures.disk.syncP50Ms} / ${r.figures.disk.syncP99Ms}`),
    figure('load: busiest / mean', (r) => (r.figures.load === null ? 'n/a' : `${r.figures.load.replicaOperations.maxOverMean.toFixed(2)}×`)),
    figure('load: spread (stddev)', (r) => (r.figures.load === null ? 'n/a' : `${(100 * r.figures.load.replicaOperations.coefficientOfVariation).toFixed(1)} %`)),
    figure('nodes > 15 % off mean', (r) => (r.figures.load === null ? 'n/a' : `${r.figures.load.replicaOperations.outOfBalance} of ${r.figures.load.nodes}`)),
    figure('trace hash', (r) => r.traceHash),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('   ')).join('\n');
}

export function simCompareCommand(yargs: Argv): Argv {
  return yargs.command(
    'compare <scenario>',
    'run one scenario across variants (same seed, same faults), results side by side',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .option('vary', { type: 'string', array: true, demandOption: true, describe: `knob=v1,v2 (repeatable). Knobs: ${VARY_HELP}` })
        .option('seed', { type: 'string', coerce: parseSeed, describe: "override the scenario's seed" })
        .option('json', { type: 'boolean', default: false, describe: "print every variant's result.json as one JSON array instead of the table" })
        .fail(badFlagsExit2),
    (argv) => {
      const file = argv.scenario as string;
      const base = readScenarioOrExit(file);
      const seed = argv.seed ?? base.seed;
      let variants;
      try {
        variants = expandVariants(base, argv.vary as string[]);
      } catch (error) {
        console.error(`dynalab: ${(error as Error).message}`);
        process.exit(2);
      }
      const rows: { label: string; result: RunResult }[] = [];
      for (const [i, variant] of variants.entries()) {
        const progress = makeProgress(`[${i + 1}/${variants.length}] ${variant.label}`);
        const { result } = runScenario(variant.scenario, { seed, onProgress: (done, total) => progress.update(done, total) });
        progress.finish();
        rows.push({ label: variant.label, result });
      }
      if (argv.json) console.log(JSON.stringify(rows, null, 2));
      else {
        console.log(`${base.name} — seed ${seed}, ${variants.length} variant${variants.length === 1 ? '' : 's'}, same workload and fault schedule\n`);
        console.log(compareTable(rows));
        const fields = knobFieldHint(argv.vary as string[]);
        console.log(`\nreplay one: npx dynalab sim run ${shellWord(file)} --seed ${seed}   (edit the knob in the file${fields ? `: ${fields}` : ''})`);
      }
      // A variant that fails its checks (or cannot be judged) is a finding of the comparison — clock-skew.yaml's
      // lww row is meant to fail — not an error of the command: compare exits 0 once every variant ran, and says
      // which failed and which are unknown. To gate on a verdict, run that variant with `sim run` (exit 1 / 3).
      const failed = rows.filter((row) => row.result.verdict === 'fail').map((row) => row.label);
      const unknown = rows.filter((row) => row.result.verdict === 'unknown').map((row) => row.label);
      const of = (list: string[]) => `${list.length} of ${rows.length} variant${rows.length === 1 ? '' : 's'}`;
      if (!argv.json) {
        if (failed.length > 0) console.log(`${of(failed)} failed their checks: ${failed.join(', ')} (compare exits 0; run a variant with \`sim run\` to gate on its verdict)`);
        if (unknown.length > 0) console.log(`${of(unknown)} could not be judged (verdict unknown): ${unknown.join(', ')}`);
      }
    },
  );
}
