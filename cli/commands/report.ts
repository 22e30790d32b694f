import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { CapacityInputError, capacityModel, SEED_INPUTS, type CapacityInputs, type CapacityModel } from '../../reports/capacity-model';
import { scenarioFailure, summaryLines } from '../../reports/capacity-report';
import { renderCharts } from '../../reports/charts';
import { measure, type Measured } from '../../reports/measured';
import { writeReport } from '../../reports/writers';
import { loadScenario, ScenarioError } from '../../sim/scenario/load';
import { makeProgress } from '../progress';

/**
 * `dynalab report capacity`: the seeds' back-of-envelope capacity model for the given cluster, beside what
 * dynalab measures from its own code (ring balance, bloom false positives, LSM write amplification and,
 * with --scenario, a simulator run), written as Markdown + HTML + PNG charts.
 *
 * Quantities accept decimal SI suffixes (--keys 100G, --reads 20M, --value-bytes 1KB) because the seeds'
 * figures are written that way; a bad value is refused naming its flag before anything is measured.
 */

/** Which flag sets each model input, so a model validation error can name the flag the user typed. */
const FLAG_OF: Record<keyof CapacityInputs, string> = {
  keys: '--keys',
  valueBytes: '--value-bytes',
  nodes: '--nodes',
  replicas: '--n',
  readQuorum: '--r',
  writeQuorum: '--w',
  vnodes: '--vnodes',
  peakReadsPerSec: '--reads',
  peakWritesPerSec: '--writes',
  peakFactor: '--peak-factor',
  nodeWritesPerSec: '--node-writes',
  bloomBitsPerKey: '--bits-per-key',
  writeAmpSizeTiered: '--write-amp-tiered',
  writeAmpLeveled: '--write-amp-leveled',
};

/** The ring measurement builds every token of the largest vnode step; beyond this it takes minutes and GBs. */
const MAX_MEASURED_TOKENS = 4_000_000;

export class FlagError extends Error {}

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** "100G" → 1e11, "1KB" → 1000, "2.5e6" → 2500000; anything else is an error naming the flag. */
export function parseQuantity(flag: string, raw: unknown): number {
  const text = String(raw).trim().replace(/_/g, '');
  const match = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgtp]?)(?:b|\/s)?$/i.exec(text);
  const value = match ? Number(match[1]) * SUFFIX[match[2]!.toLowerCase()]! : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new FlagError(`${flag}: '${String(raw)}' is not a number (write e.g. 500, 1.5K, 20M, 100G; sizes may end in B)`);
  }
  return value;
}

interface CapacityArgs {
  nodes: unknown; vnodes: unknown; n: unknown; r: unknown; w: unknown; keys: unknown; valueBytes: unknown;
  reads: unknown; writes: unknown; peakFactor: unknown; nodeWrites: unknown; bitsPerKey: unknown;
  writeAmpTiered: unknown; writeAmpLeveled: unknown;
}

/** Turns the flags into model inputs; throws FlagError naming the flag for anything the model refuses. */
export function inputsFromFlags(argv: CapacityArgs): CapacityInputs {
  const inputs: CapacityInputs = {
    keys: parseQuantity('--keys', argv.keys),
    valueBytes: parseQuantity('--value-bytes', argv.valueBytes),
    nodes: parseQuantity('--nodes', argv.nodes),
    replicas: parseQuantity('--n', argv.n),
    readQuorum: parseQuantity('--r', argv.r),
    writeQuorum: parseQuantity('--w', argv.w),
    vnodes: parseQuantity('--vnodes', argv.vnodes),
    peakReadsPerSec: parseQuantity('--reads', argv.reads),
    peakWritesPerSec: parseQuantity('--writes', argv.writes),
    peakFactor: parseQuantity('--peak-factor', argv.peakFactor),
    nodeWritesPerSec: parseQuantity('--node-writes', argv.nodeWrites),
    bloomBitsPerKey: parseQuantity('--bits-per-key', argv.bitsPerKey),
    writeAmpSizeTiered: parseQuantity('--write-amp-tiered', argv.writeAmpTiered),
    writeAmpLeveled: parseQuantity('--write-amp-leveled', argv.writeAmpLeveled),
  };
  try {
    capacityModel(inputs);
  } catch (error) {
    if (error instanceof CapacityInputError) throw new FlagError(`${FLAG_OF[error.field]}: ${error.message}`);
    throw error;
  }
  const tokens = inputs.nodes * Math.max(256, inputs.vnodes);
  if (tokens > MAX_MEASURED_TOKENS) {
    const flag = inputs.vnodes > 256 ? '--vnodes' : '--nodes';
    throw new FlagError(`${flag}: measuring ring balance for ${inputs.nodes} nodes × ${Math.max(256, inputs.vnodes)} vnodes builds ${tokens.toLocaleString('en-US')} tokens; the limit is ${MAX_MEASURED_TOKENS.toLocaleString('en-US')} (try fewer nodes — the spread depends on vnodes, not on the node count)`);
  }
  return inputs;
}

function readScenario(file: string): { file: string; text: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FlagError(`--scenario: cannot read '${file}': ${(error as Error).message}`);
  }
  loadScenario(text, file); // validate now, before minutes of measuring; ScenarioError lists every problem
  return { file, text };
}

/**
 * Checks --out before anything is measured: it must be a directory this process can write in, or not exist yet
 * under one (writeReport creates it and any missing parents). Creates nothing. Throws FlagError otherwise, so a
 * bad --out costs one line and exit 2 instead of a stack trace after every measurement.
 */
export function checkOutDir(dir: string): void {
  if (dir.trim() === '') throw new FlagError('--out: needs a directory name');
  const stat = (path: string): Stats | undefined => {
    try {
      return statSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ENOTDIR') throw new FlagError(`--out: '${dir}' cannot be created: a part of its path is a file, not a directory`);
      throw new FlagError(`--out: cannot use '${dir}': ${(error as Error).message}`);
    }
  };
  let path = resolve(dir);
  let found = stat(path);
  if (found !== undefined && !found.isDirectory()) throw new FlagError(`--out: '${dir}' exists and is not a directory`);
  // Not there yet: the nearest existing ancestor must be a directory we can create entries in.
  while (found === undefined && dirname(path) !== path) {
    path = dirname(path);
    found = stat(path);
  }
  if (found !== undefined && !found.isDirectory()) throw new FlagError(`--out: '${dir}' cannot be created: ${path} is a file, not a directory`);
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch {
    throw new FlagError(`--out: cannot write in '${path === resolve(dir) ? dir : path}' (permission denied)`);
  }
}

const seed = (key: keyof CapacityInputs): string => String(SEED_INPUTS[key]);

export function reportCommand(yargs: Argv): Argv {
  return yargs.command(
    'capacity',
    'the back-of-envelope capacity model beside what dynalab measures: Markdown, HTML and PNG charts',
    (y) =>
      y
        .option('nodes', { type: 'string', default: seed('nodes'), describe: 'physical nodes M (seed: 500)' })
        .option('vnodes', { type: 'string', default: seed('vnodes'), describe: 'vnodes per node (seed: 256)' })
        .option('n', { type: 'string', default: seed('replicas'), describe: 'replicas N (seed: 3)' })
        .option('r', { type: 'string', default: seed('readQuorum'), describe: 'read quorum R (seed: 2)' })
        .option('w', { type: 'string', default: seed('writeQuorum'), describe: 'write quorum W (seed: 2)' })
        .option('keys', { type: 'string', default: '100G', describe: 'keys stored (seed: 100G = 100 billion)' })
        .option('value-bytes', { type: 'string', default: '1KB', describe: 'bytes per record, key included (seed: 1KB)' })
        .option('reads', { type: 'string', default: '20M', describe: 'peak reads per second (seed: 20M)' })
        .option('writes', { type: 'string', default: '5M', describe: 'peak writes per second (seed: 5M)' })
        .option('peak-factor', { type: 'string', default: seed('peakFactor'), describe: 'peak ÷ average traffic (seed: 10)' })
        .option('node-writes', { type: 'string', default: '10K', describe: 'writes per second one LSM node absorbs (seed: 10K)' })
        .option('bits-per-key', { type: 'string', default: seed('bloomBitsPerKey'), describe: 'bloom filter bits per key (seed: 10)' })
        .option('write-amp-tiered', { type: 'string', default: seed('writeAmpSizeTiered'), describe: 'size-tiered write amplification (seed: 5)' })
        .option('write-amp-leveled', { type: 'string', default: seed('writeAmpLeveled'), describe: 'leveled write amplification (seed: 10)' })
        .option('scenario', { type: 'string', describe: 'also run this scenario file and report its latency, availability, staleness and siblings' })
        // No yargs default: with one, a bare `--out` quietly became 'reports-out' instead of being refused.
        .option('out', { type: 'string', describe: 'directory for capacity.md, capacity.html and the PNGs (default: reports-out)' }),
    (argv) => {
      const out = argv.out ?? 'reports-out';
      let inputs: CapacityInputs;
      let scenario: { file: string; text: string } | undefined;
      try {
        inputs = inputsFromFlags(argv as unknown as CapacityArgs);
        checkOutDir(out);
        if (argv.scenario !== undefined) scenario = readScenario(argv.scenario);
      } catch (error) {
        if (error instanceof FlagError) console.error(`dynalab report capacity: ${error.message}`);
        else if (error instanceof ScenarioError) console.error(`dynalab report capacity: --scenario: ${error.message}`);
        else throw error;
        process.exit(2);
      }
      const model: CapacityModel = capacityModel(inputs);
      const command = ['dynalab', ...process.argv.slice(2)].join(' ');
      const steps = makeProgress('measuring');
      let stepLabel = '';
      const scenarioProgress = makeProgress(`scenario ${scenario ? basename(scenario.file) : ''}`);
      const measured: Measured = measure({
        nodes: inputs.nodes,
        vnodes: inputs.vnodes,
        replicas: inputs.replicas,
        bloomBitsPerKey: inputs.bloomBitsPerKey,
        ...(scenario !== undefined ? { scenario } : {}),
        onStep: (label) => {
          stepLabel = label;
          steps.update(0, 1, stepLabel);
        },
        onScenarioProgress: (done, total) => scenarioProgress.update(done, total, `${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} s simulated`),
      });
      steps.finish();
      scenarioProgress.finish();
      const charts = renderCharts(model, measured);
      let written: ReturnType<typeof writeReport>;
      try {
        written = writeReport(out, { model, measured, charts, command });
      } catch (error) {
        // checkOutDir passed, so this is a race (the directory changed while measuring) or a full disk.
        console.error(`dynalab report capacity: --out: cannot write the report to '${out}': ${(error as Error).message}`);
        process.exit(2);
      }
      console.log(`dynalab report capacity — model: ${inputs.nodes.toLocaleString('en-US')} nodes, N=${inputs.replicas}, ${inputs.vnodes} vnodes${measured.scenario !== null ? `; scenario: its own ${measured.scenario.cluster.nodes}-node cluster` : ''}`);
      for (const line of summaryLines({ model, measured, charts, command })) console.log(line);
      console.log('');
      console.log(`wrote ${written.markdown}`);
      console.log(`      ${written.html} (self-contained)`);
      console.log(`      ${written.charts.map((p) => basename(p)).join(', ')}`);
      // A failed scenario fails the command, as `sim run` does: the report is written, but its latency and
      // availability come from a run that broke a promise. Unknown is reported, not failed.
      const failure = scenarioFailure(measured);
      if (failure !== null) {
        console.error(`dynalab report capacity: ${failure}`);
        process.exitCode = 1;
      } else if (measured.scenario !== null && measured.scenario.verdict === 'unknown') {
        const unknown = measured.scenario.checks.filter((c) => c.verdict === 'unknown').map((c) => c.checker).join(', ');
        console.error(`dynalab report capacity: note: scenario ${measured.scenario.name} could not be judged (${unknown} unknown); exit 0`);
      }
    },
  );
}
