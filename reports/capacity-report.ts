/**
 * The capacity report as a document: model inputs, model outputs with their arithmetic, what dynalab
 * measured beside them, the charts, and a derived reading per section. Rendering to Markdown/HTML and writing
 * files is writers.ts's job; this module only decides what the report says and in which order.
 */
import { INPUT_LABELS, modelSections, type CapacityInputs, type CapacityModel, type Figure } from './capacity-model';
import type { RenderedChart } from './charts';
import type { Block, ReportDocument } from './document';
import {
  bloomFinding, compactionFinding, lsmFinding, networkFinding, ringFinding, scenarioFinding, scenarioVerdictLines, storageFinding, trafficFinding,
} from './findings';
import type { Measured } from './measured';
import { formatValue, grouped, P999_MIN_SAMPLES, percent, sig, tailName } from './units';

export interface CapacityReport {
  model: CapacityModel;
  measured: Measured;
  charts: RenderedChart[];
  /** The command line that produced it, shown so the report can be regenerated. */
  command: string;
}

/** Never "100 %" for a share below 1 (units.ts `percent`). */
const pct = (fraction: number, digits = 3): string => percent(fraction, digits);
const times = (ratio: number): string => `${sig(ratio)}×`;
const figureRow = (f: Figure): string[] => [f.label, formatValue(f.value, f.unit), `\`${f.formula}\``, f.arithmetic];

function inputBlocks(model: CapacityModel): Block[] {
  const rows = (Object.keys(INPUT_LABELS) as (keyof CapacityInputs)[]).map((key) => {
    const meta = INPUT_LABELS[key];
    return [meta.label, formatValue(model.inputs[key], meta.unit), meta.source];
  });
  return [
    { kind: 'heading', level: 2, text: 'Model inputs' },
    { kind: 'paragraph', text: 'Defaults are the seed documents\' figures; the last column says which seed each comes from. Sizes are decimal (1 KB = 1000 B), as the seeds compute them.' },
    { kind: 'table', header: ['input', 'value', 'source'], rows, align: ['left', 'right', 'left'] },
  ];
}

function modelBlocks(model: CapacityModel, measured: Measured): Block[] {
  // The model's sections read the figures the model alone decides (memory, bandwidth); the readings that set
  // the model against a measurement (ring spread, false positives, write amplification) sit with the
  // measurement, below.
  const findings: Record<string, string[]> = {
    storage: storageFinding(model, measured),
    traffic: trafficFinding(model),
    lsm: lsmFinding(model),
    bloom: bloomFinding(model, measured).slice(1),
    compaction: compactionFinding(model, measured).slice(1),
    network: networkFinding(model),
    ring: [`Measured beside it under "Ring balance" below: ${sig(measured.ring.byVnodes.find((p) => p.vnodes === model.inputs.vnodes)?.primaryStddevPercent ?? Number.NaN)} % of primary ownership and ${sig(measured.ring.byVnodes.find((p) => p.vnodes === model.inputs.vnodes)?.replicaStddevPercent ?? Number.NaN)} % as one of N=${measured.ring.replicas} replicas, at ${model.inputs.vnodes} vnodes on ${grouped(measured.ring.nodes)} nodes.`],
  };
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'The model' }];
  for (const section of modelSections(model)) {
    blocks.push({ kind: 'heading', level: 3, text: section.title });
    blocks.push({ kind: 'table', header: ['figure', 'value', 'formula', 'arithmetic'], rows: section.figures.map(figureRow), align: ['left', 'right', 'left', 'left'] });
    const lines = findings[section.id] ?? [];
    if (lines.length > 0) blocks.push({ kind: 'finding', lines });
  }
  return blocks;
}

function chart(report: CapacityReport, file: string): Block[] {
  const c = report.charts.find((x) => x.file === file);
  return c === undefined ? [] : [{ kind: 'image', file: c.file, alt: c.caption, png: c.png }];
}

function measuredBlocks(report: CapacityReport): Block[] {
  const { model, measured } = report;
  const ring = measured.ring;
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'What dynalab measured' },
    { kind: 'paragraph', text: `Computed when this report ran, from the store's own code: the ring (\`core/ring\`), the bloom filter (\`core/storage/bloom.ts\`) and the LSM engine (\`core/storage/engine.ts\`) on the simulated disk. Wall time: ${Object.entries(measured.wallSeconds).map(([k, s]) => `${k} ${s.toFixed(1)} s`).join(', ')}.` },
    { kind: 'heading', level: 3, text: `Ring balance — ${grouped(ring.nodes)} nodes, N=${ring.replicas}` },
    {
      kind: 'table',
      header: ['vnodes', 'model 100/√v', 'primary spread', `replica spread (N=${ring.replicas})`, 'busiest node, primary', 'fullest node, replicas'],
      rows: ring.byVnodes.map((p) => [
        `${p.vnodes}${p.vnodes === model.inputs.vnodes ? ' (chosen)' : ''}`,
        `${sig(p.expectedPercent)} %`, `${sig(p.primaryStddevPercent)} %`, `${sig(p.replicaStddevPercent)} %`, times(p.maxPrimaryLoad), times(p.maxReplicaLoad),
      ]),
    },
    { kind: 'paragraph', text: 'Spread = standard deviation of the nodes\' shares of the ring as % of the mean share. "Busiest" = largest share ÷ fair share.' },
    ...chart(report, 'ring-balance.png'),
    { kind: 'heading', level: 3, text: 'Dynamo\'s three partitioning strategies' },
    {
      kind: 'table',
      header: ['strategy', 'how', 'primary spread', 'replica spread', 'busiest node'],
      rows: ring.strategies.map((s) => [s.label, s.description, `${sig(s.primaryStddevPercent, 2)} %`, `${sig(s.replicaStddevPercent, 2)} %`, times(s.maxPrimaryLoad)]),
      align: ['left', 'left', 'right', 'right', 'right'],
    },
    ...chart(report, 'partition-strategies.png'),
    { kind: 'finding', lines: ringFinding(model, measured) },
    { kind: 'heading', level: 3, text: 'Bloom filter false positives' },
    { kind: 'paragraph', text: `${grouped(measured.bloom.keys)} keys added per filter, ${grouped(measured.bloom.lookups)} keys never added asked about.` },
    {
      kind: 'table',
      header: ['bits/key', 'probes k', 'model', 'measured', 'filter bytes'],
      rows: measured.bloom.points.map((p) => [`${sig(p.bitsPerKey)}${p.bitsPerKey === model.inputs.bloomBitsPerKey ? ' (chosen)' : ''}`, String(p.probes), pct(p.model), pct(p.measured), grouped(p.filterBytes)]),
    },
    ...chart(report, 'bloom-false-positives.png'),
    { kind: 'finding', lines: bloomFinding(model, measured).slice(0, 1) },
  ];
  const load = measured.compaction.load;
  const live = measured.compaction.strategies[0];
  const liveText = live === undefined ? '' : ` Space amplification is the bytes in tables ÷ the key + value bytes of the live keys' newest records (${grouped(live.liveKeys)} keys, ${formatValue(live.liveBytes, 'bytes')}), counted by a scan once the load is flushed and compaction idle — not the largest level or run, which under size-tiered holds only part of the live keys.`;
  blocks.push(
    { kind: 'heading', level: 3, text: 'Compaction write amplification' },
    { kind: 'paragraph', text: `The LSM engine on the simulated disk, once per strategy: ${grouped(load.puts)} puts of ${load.valueBytes} B values to keys drawn uniformly from ${grouped(load.keySpace)} (so some overwrite), ${load.memtableBytes / 1024} KiB memtables, level 1 at 4× the memtable and 10× per level below — the seeds' ratios, scaled down so a few MB build several levels.${liveText}` },
    {
      kind: 'table',
      header: ['strategy', 'model (seed)', 'measured: flush + compaction', 'with WAL + manifest', 'space amplification', 'flushes', 'compactions', 'bytes per level'],
      rows: measured.compaction.strategies.map((s) => [
        s.strategy,
        times(s.strategy === 'leveled' ? model.inputs.writeAmpLeveled : model.inputs.writeAmpSizeTiered),
        times(s.tableWriteAmplification), times(s.writeAmplification), times(s.spaceAmplification),
        String(s.flushes), String(s.compactions), s.bytesPerLevel.map((b) => formatValue(b, 'bytes')).join(' / '),
      ]),
    },
    ...chart(report, 'write-amplification.png'),
    { kind: 'finding', lines: compactionFinding(model, measured).slice(0, 1) },
  );
  return blocks;
}

function scenarioBlocks(report: CapacityReport): Block[] {
  const s = report.measured.scenario;
  if (s === null) return [];
  const ms = (x: number): string => `${sig(x)} ms`;
  const rate = (x: number | null): string => (x === null ? 'n/a' : pct(x, 4));
  const rows: string[][] = [
    ['cluster', `${s.cluster.nodes} nodes × ${s.cluster.vnodes} vnodes, N=${s.cluster.n} R=${s.cluster.r} W=${s.cluster.w}, ${s.cluster.conflict}`],
    ['verdict', `${s.verdict} (trace ${s.traceHash})`],
    ['operations', `${s.operations.completed} completed: ${s.operations.ok} ok, ${s.operations.fail} failed, ${s.operations.info} unknown`],
    ['availability', `${rate(s.availability.duringFaults)} during faults (${sig(s.availability.faultSeconds)} s), ${rate(s.availability.outsideFaults)} outside`],
    ['stale reads', s.staleReads === null ? 'not checked' : `${s.staleReads.stale} of ${s.staleReads.reads} (rate ${sig(s.staleReads.rate)})`],
    ['siblings', s.siblings === null ? 'not checked' : `mean ${sig(s.siblings.mean)}, p99 ${s.siblings.p99}, max ${s.siblings.max}`],
    ['simulation', `${grouped(s.events)} events, ${sig(s.simulatedSeconds)} s simulated`],
  ];
  return [
    { kind: 'heading', level: 2, text: `Scenario ${s.name} (${s.file}, seed ${s.seed})` },
    { kind: 'table', header: ['figure', 'value'], rows, align: ['left', 'left'] },
    {
      kind: 'table',
      header: ['operation', 'count', 'p50', 'p99', 'p999'],
      // Under 1 000 samples the "p999" is the largest sample: said, as `sim run` says it.
      rows: s.latency.map((l) => [l.op, grouped(l.summary.count), ms(l.summary.p50Ms), ms(l.summary.p99Ms), `${tailName(l.summary.count) === 'max' ? 'max ' : ''}${ms(l.summary.p999Ms)}`]),
    },
    ...(s.latency.some((l) => tailName(l.summary.count) === 'max')
      ? [{ kind: 'paragraph' as const, text: `An operation with fewer than ${grouped(P999_MIN_SAMPLES)} samples has no p999 of its own: its p999 column gives its largest latency, marked max (as \`sim run\` prints it).` }]
      : []),
    { kind: 'table', header: ['check', 'verdict', 'summary'], rows: s.checks.map((c) => [c.checker, c.verdict, c.summary]), align: ['left', 'left', 'left'] },
    ...chart(report, 'latency.png'),
    { kind: 'finding', lines: scenarioFinding(report.measured) },
    { kind: 'paragraph', text: `Replay: \`npx dynalab sim run ${s.file} --seed ${s.seed}\`` },
  ];
}

/** A scenario that failed (or could not be judged) is said at the top, not only in its own section. */
function scenarioWarning(report: CapacityReport): Block[] {
  const s = report.measured.scenario;
  if (s === null || s.verdict === 'ok') return [];
  return [{ kind: 'finding', lines: scenarioVerdictLines(s) }];
}

/** "quickstart (5 nodes × 64 vnodes, N=3 R=2 W=2)": the scenario with its own cluster, not the model's. */
export function scenarioLabel(s: NonNullable<Measured['scenario']>): string {
  return `${s.name} (${grouped(s.cluster.nodes)} nodes × ${s.cluster.vnodes} vnodes, N=${s.cluster.n} R=${s.cluster.r} W=${s.cluster.w})`;
}

/** Why the command exits 1: the failed checks, one clause each; null when the scenario did not fail. */
export function scenarioFailure(measured: Measured): string | null {
  const s = measured.scenario;
  if (s === null || s.verdict !== 'fail') return null;
  const failed = s.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.checker}: ${c.summary}`);
  return `scenario ${s.name} (${s.file}) failed — ${failed.join('; ')}`;
}

export function buildReportDocument(report: CapacityReport): ReportDocument {
  const { model } = report;
  const i = model.inputs;
  const title = `dynalab capacity report — ${grouped(i.nodes)} nodes, ${formatValue(model.storage.logical.value, 'bytes')} logical, N=${i.replicas}`;
  return {
    title,
    blocks: [
      { kind: 'heading', level: 1, text: title },
      { kind: 'paragraph', text: `The back-of-envelope model of a Dynamo-class store, and beside it what dynalab's own code measured. Generated by \`${report.command}\`.` },
      ...scenarioWarning(report),
      ...inputBlocks(model),
      ...modelBlocks(model, report.measured),
      ...measuredBlocks(report),
      ...scenarioBlocks(report),
    ],
  };
}

/** A dozen lines for the terminal: the headline figures and the model-vs-measured pairs. */
export function summaryLines(report: CapacityReport): string[] {
  const { model, measured } = report;
  const i = model.inputs;
  const f = (x: Figure): string => formatValue(x.value, x.unit);
  const chosenRing = measured.ring.byVnodes.find((p) => p.vnodes === i.vnodes);
  const lines = [
    `model (${grouped(i.nodes)} nodes, N=${i.replicas}, ${f(model.storage.logical)} logical, ${formatValue(i.peakReadsPerSec, 'ops/s')} reads, ${formatValue(i.peakWritesPerSec, 'ops/s')} writes at peak)`,
    `  storage        ${f(model.storage.raw)} raw, ${f(model.storage.perNode)} per node`,
    `  writes         ${f(model.traffic.replicaWritesPerNode)} replica writes per node = ${f(model.lsm.utilisation)} of ${formatValue(i.nodeWritesPerSec, 'ops/s')}; ${f(model.lsm.nodesForWrites)} for the write load`,
    `  bloom          ${f(model.bloom.falsePositive)} false positives at ${sig(i.bloomBitsPerKey)} bits/key; ${f(model.bloom.perNode)} per node (${f(model.bloom.perNodePrimary)} primary keys only)`,
    `  disk writes    ${f(model.compaction.leveledDiskWritesPerNode)} per node leveled, ${f(model.compaction.sizeTieredDiskWritesPerNode)} size-tiered (1 WAL + seed WA)`,
    `  network        ${f(model.network.replicationPerNode)} replication (N − 1 copies) + ${f(model.network.readFanInPerNode)} read replies (all N answer) per node`,
    'measured',
  ];
  if (chosenRing !== undefined) {
    lines.push(`  ring           ${sig(chosenRing.primaryStddevPercent)} % primary ownership spread at ${i.vnodes} vnodes (model ${sig(chosenRing.expectedPercent)} %), ${sig(chosenRing.replicaStddevPercent)} % as one of N=${measured.ring.replicas}; ${sig(measured.ring.byVnodes[0]!.primaryStddevPercent)} % at ${measured.ring.byVnodes[0]!.vnodes}`);
  }
  lines.push(`  bloom          ${pct(measured.bloom.chosen.measured)} false positives at ${sig(i.bloomBitsPerKey)} bits/key (model ${pct(measured.bloom.chosen.model)})`);
  for (const s of measured.compaction.strategies) {
    const seed = s.strategy === 'leveled' ? i.writeAmpLeveled : i.writeAmpSizeTiered;
    lines.push(`  write amp      ${s.strategy.padEnd(12)} ${times(s.tableWriteAmplification)} measured (seed ${times(seed)}; ${times(s.writeAmplification)} with WAL + manifest), space amp ${times(s.spaceAmplification)}`);
  }
  const s = measured.scenario;
  if (s !== null) {
    const lat = s.latency.map((l) => `${l.op} p99 ${sig(l.summary.p99Ms)} ms`).join(', ');
    const notOk = s.checks.filter((c) => c.verdict !== 'ok').map((c) => `${c.checker} ${c.verdict === 'fail' ? 'FAILED' : 'unknown'}`);
    const verdict = notOk.length > 0 ? `${s.verdict.toUpperCase()} (${notOk.join(', ')})` : s.verdict;
    lines.push(`  scenario       ${scenarioLabel(s)}: ${verdict}; ${lat}; availability in faults ${s.availability.duringFaults === null ? 'n/a' : pct(s.availability.duringFaults, 4)}`);
  }
  return lines;
}
