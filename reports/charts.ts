/**
 * PNG charts for the capacity report: chart.js drawing on an @napi-rs/canvas 2-D context, no browser.
 *
 * chart.js falls back to its basic platform outside a browser (no DOM, no events), so a chart is drawn once,
 * synchronously, when it is constructed with animation and responsiveness off; the canvas is then encoded and
 * the chart destroyed. Each chart pairs the model with what was measured, so the gap between the two is
 * the thing the eye lands on.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type ChartItem, type Plugin } from 'chart.js';
import { blockedBloomFalsePositive, type CapacityModel } from './capacity-model';
import type { Measured, ScenarioMeasurement } from './measured';
import { grouped, P999_MIN_SAMPLES, percent, sig, tailName } from './units';

Chart.register(...registerables);

export interface RenderedChart {
  /** File name, e.g. "ring-balance.png". */
  file: string;
  title: string;
  /** One sentence on what the chart shows, for alt text and captions. */
  caption: string;
  png: Buffer;
}

const WIDTH = 900;
const HEIGHT = 500;
const FONT = 'DejaVu Sans, Arial, sans-serif';
/** A log axis labelled with plain numbers (chart.js would print 60.00 and 0.10). */
const logAxis = { type: 'logarithmic' as const, ticks: { font: { size: 12, family: FONT }, callback: (value: number | string) => sig(Number(value)) } };

const COLORS = { model: '#7f7f7f', primary: '#1f77b4', replica: '#ff7f0e', third: '#2ca02c', fourth: '#d62728' };

/** Paints the background white: PNGs are transparent otherwise, and unreadable on dark viewers. */
const whiteBackground: Plugin = {
  id: 'white-background',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/**
 * Draws one chart and returns its PNG bytes. `inspect`, for tests, sees the drawn chart (its scales and chart
 * area) before it is destroyed.
 */
export function renderChart(config: ChartConfiguration, width = WIDTH, height = HEIGHT, inspect?: (chart: Chart) => void): Buffer {
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  const options = config.options ?? {};
  const chart = new Chart(context as unknown as ChartItem, {
    ...config,
    options: { ...options, animation: false, responsive: false, maintainAspectRatio: false, devicePixelRatio: 1, events: [] },
    plugins: [...(config.plugins ?? []), whiteBackground],
  } as ChartConfiguration);
  const png = canvas.toBuffer('image/png');
  inspect?.(chart);
  chart.destroy();
  return png;
}

function baseOptions(title: string, xTitle: string, yTitle: string) {
  return {
    plugins: {
      title: { display: true, text: title, font: { size: 18, family: FONT } },
      legend: { position: 'bottom' as const, labels: { font: { size: 13, family: FONT } } },
    },
    layout: { padding: 12 },
    scales: {
      x: { title: { display: true, text: xTitle, font: { size: 14, family: FONT } }, ticks: { font: { size: 12, family: FONT } } },
      y: { title: { display: true, text: yTitle, font: { size: 14, family: FONT } }, ticks: { font: { size: 12, family: FONT } } },
    },
  };
}

/**
 * Log-axis bounds beyond the data by at least a factor `pad` each way, so no point sits on the frame, rounded
 * out to 1, 2 or 5 × a power of ten so the end ticks read as round numbers.
 */
export function logBounds(values: readonly number[], pad: number): { min: number; max: number } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const low = Math.min(...positive) / pad;
  const high = Math.max(...positive) * pad;
  const steps = [1, 2, 5, 10];
  const lowDecade = 10 ** Math.floor(Math.log10(low));
  const highDecade = 10 ** Math.floor(Math.log10(high));
  const min = [...steps].reverse().map((m) => m * lowDecade).find((x) => x <= low * (1 + 1e-12)) ?? lowDecade;
  const max = steps.map((m) => m * highDecade).find((x) => x >= high * (1 - 1e-12)) ?? 10 * highDecade;
  return { min: Number(min.toPrecision(12)), max: Number(max.toPrecision(12)) };
}

/** Ticks exactly at the given values (a log axis otherwise labels 1, 2, 3 … 9, 10, 20 …). */
const ticksAt = (values: readonly number[]) => ({
  afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
    axis.ticks = values.map((value) => ({ value }));
  },
});

/**
 * Spread against vnodes on a numeric log axis: the vnode steps (1, 8, 32 … 256) are unevenly spaced, and on a
 * category axis 100/√v bent at every step; on log–log it is the straight line it is.
 */
export function ringChartConfig(measured: Measured): ChartConfiguration<'line'> {
  const points = measured.ring.byVnodes;
  const options = baseOptions(`Ownership spread vs vnodes — ${measured.ring.nodes} nodes, N=${measured.ring.replicas}`, 'vnodes per node (log scale)', 'stddev of share, % of mean (log scale)');
  const vnodes = points.map((p) => p.vnodes);
  const x = logBounds(vnodes, 1.3);
  const y = logBounds(points.flatMap((p) => [p.expectedPercent, p.primaryStddevPercent, p.replicaStddevPercent]), 1.4);
  const xy = (value: (p: (typeof points)[number]) => number) => points.map((p) => ({ x: p.vnodes, y: value(p) }));
  return {
    type: 'line',
    data: {
      datasets: [
        { label: 'model: 100 ÷ √vnodes', data: xy((p) => p.expectedPercent), borderColor: COLORS.model, backgroundColor: COLORS.model, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
        { label: 'measured: primary ranges', data: xy((p) => p.primaryStddevPercent), borderColor: COLORS.primary, backgroundColor: COLORS.primary, pointRadius: 5, borderWidth: 2 },
        { label: `measured: all ${measured.ring.replicas} replicas`, data: xy((p) => p.replicaStddevPercent), borderColor: COLORS.replica, backgroundColor: COLORS.replica, pointRadius: 5, borderWidth: 2 },
      ],
    },
    options: {
      ...options,
      scales: {
        x: { ...options.scales.x, ...logAxis, ...x, ...ticksAt(vnodes) },
        y: { ...options.scales.y, ...logAxis, ...y },
      },
    },
  };
}

function ringChart(model: CapacityModel, measured: Measured): RenderedChart {
  const points = measured.ring.byVnodes;
  const config = ringChartConfig(measured);
  return {
    file: 'ring-balance.png',
    title: 'Ring balance',
    caption: `Standard deviation of each node's share of the ring as % of the mean, for ${points.map((p) => p.vnodes).join(', ')} vnodes per node (chosen: ${model.inputs.vnodes}); dashed: 1/√vnodes.`,
    png: renderChart(config as ChartConfiguration),
  };
}

function strategiesChart(measured: Measured): RenderedChart {
  const s = measured.ring.strategies;
  const options = baseOptions(`Dynamo's partitioning strategies — ${measured.ring.nodes} nodes`, 'strategy', 'stddev of share, % of mean');
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: s.map((x) => x.label),
      datasets: [
        { label: 'primary ranges', data: s.map((x) => x.primaryStddevPercent), backgroundColor: COLORS.primary },
        { label: `all ${measured.ring.replicas} replicas`, data: s.map((x) => x.replicaStddevPercent), backgroundColor: COLORS.replica },
      ],
    },
    options,
  };
  return {
    file: 'partition-strategies.png',
    title: 'Partitioning strategies',
    caption: 'Ownership spread under Dynamo §6.2\'s three strategies over the same members.',
    png: renderChart(config as ChartConfiguration),
  };
}

/**
 * Measured false positives over the model curve. Both axes stop short of the data on every side (a bit/key
 * either way; a factor of 2 on the log axis), so the extreme points — 16 bits/key at the bottom right — are
 * drawn whole instead of cut by the frame.
 */
export function bloomChartConfig(measured: Measured): ChartConfiguration<'scatter'> {
  const points = measured.bloom.points;
  const min = Math.min(...points.map((p) => p.bitsPerKey));
  const max = Math.max(...points.map((p) => p.bitsPerKey));
  const xMin = Math.max(0, min - 2);
  const xMax = max + 2;
  const curve: { x: number; y: number }[] = [];
  for (let b = Math.max(1, xMin); b <= xMax + 1e-9; b += 0.25) curve.push({ x: b, y: blockedBloomFalsePositive(b) * 100 });
  // Bounds from the measured points and the curve over their range; the curve beyond it may leave the frame.
  const inRange = curve.filter((c) => c.x >= min && c.x <= max).map((c) => c.y);
  const y = logBounds([...points.map((p) => p.measured * 100), ...inRange], 2);
  const options = baseOptions('Bloom filter false positives vs bits per key', 'bits per key', 'false positives, % (log scale)');
  return {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'model: blocked filter, 512-bit blocks, k = round(b·ln 2)', data: curve, showLine: true, borderColor: COLORS.model, backgroundColor: COLORS.model, pointRadius: 0, borderWidth: 2 },
        { label: `measured: ${measured.bloom.lookups.toLocaleString('en-US')} absent keys per filter`, data: points.map((p) => ({ x: p.bitsPerKey, y: p.measured * 100 })), borderColor: COLORS.primary, backgroundColor: COLORS.primary, pointRadius: 6 },
      ],
    },
    options: {
      ...options,
      scales: {
        x: { ...options.scales.x, type: 'linear', min: xMin, max: xMax, ticks: { ...options.scales.x.ticks, stepSize: 2 } },
        y: { ...options.scales.y, ...logAxis, ...y },
      },
    },
  };
}

function bloomChart(measured: Measured): RenderedChart {
  const config = bloomChartConfig(measured);
  return {
    file: 'bloom-false-positives.png',
    title: 'Bloom false positives',
    caption: `False-positive rate of the engine's filter against the formula; chosen ${measured.bloom.chosen.bitsPerKey} bits/key measured ${percent(measured.bloom.chosen.measured)}.`,
    png: renderChart(config as ChartConfiguration),
  };
}

function writeAmpChart(model: CapacityModel, measured: Measured): RenderedChart {
  const byStrategy = measured.compaction.strategies;
  const seedFigure = (strategy: string): number => (strategy === 'leveled' ? model.inputs.writeAmpLeveled : model.inputs.writeAmpSizeTiered);
  const options = baseOptions('Compaction write amplification: model vs the LSM engine', 'compaction strategy', 'bytes written ÷ user bytes');
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: byStrategy.map((s) => s.strategy),
      datasets: [
        { label: 'model (seed figure)', data: byStrategy.map((s) => seedFigure(s.strategy)), backgroundColor: COLORS.model },
        { label: 'measured: flush + compaction', data: byStrategy.map((s) => s.tableWriteAmplification), backgroundColor: COLORS.primary },
        { label: 'measured: with WAL and manifest', data: byStrategy.map((s) => s.writeAmplification), backgroundColor: COLORS.replica },
      ],
    },
    options,
  };
  return {
    file: 'write-amplification.png',
    title: 'Write amplification',
    caption: `Seed figures beside the engine's own counters after ${measured.compaction.load.puts.toLocaleString('en-US')} puts of ${measured.compaction.load.valueBytes} B on the simulated disk.`,
    png: renderChart(config as ChartConfiguration),
  };
}

/**
 * The scenario's latency bars: p50, p99 and the tail. An operation with fewer than 1 000 samples has no p999 of
 * its own — the figure is its largest sample — so its bar is called max, on its label and in the legend.
 */
export function latencyChartConfig(scenario: ScenarioMeasurement): ChartConfiguration<'bar'> {
  const options = baseOptions(`Latency percentiles — scenario ${scenario.name} (seed ${scenario.seed})`, 'operation', 'milliseconds');
  const names = new Set(scenario.latency.map((l) => tailName(l.summary.count)));
  const tailLabel = names.size === 1 ? [...names][0]! : `p999 (max under ${grouped(P999_MIN_SAMPLES)} samples)`;
  return {
    type: 'bar',
    data: {
      labels: scenario.latency.map((l) => `${l.op} (${l.summary.count}${tailName(l.summary.count) === 'max' && names.size > 1 ? '; top bar = max' : ''})`),
      datasets: [
        { label: 'p50', data: scenario.latency.map((l) => l.summary.p50Ms), backgroundColor: COLORS.primary },
        { label: 'p99', data: scenario.latency.map((l) => l.summary.p99Ms), backgroundColor: COLORS.replica },
        { label: tailLabel, data: scenario.latency.map((l) => l.summary.p999Ms), backgroundColor: COLORS.fourth },
      ],
    },
    options,
  };
}

function latencyChart(measured: Measured): RenderedChart | null {
  const scenario = measured.scenario;
  if (scenario === null || scenario.latency.length === 0) return null;
  const small = scenario.latency.filter((l) => tailName(l.summary.count) === 'max').map((l) => `${l.op} (${l.summary.count} samples)`);
  const note = small.length > 0 ? ` The top bar is the max, not p999, for ${small.join(', ')}: under ${grouped(P999_MIN_SAMPLES)} samples there is no p999 of its own.` : '';
  return {
    file: 'latency.png',
    title: 'Scenario latency',
    caption: `Simulated latency percentiles per operation in ${scenario.file}.${note}`,
    png: renderChart(latencyChartConfig(scenario) as ChartConfiguration),
  };
}

/**
 * Every file name a chart of the report can have, drawn or not: a report written over an earlier one removes
 * those it did not draw this time (latency.png without a scenario), so none is left beside a report that no
 * longer shows it.
 */
export const CHART_FILES: readonly string[] = ['ring-balance.png', 'partition-strategies.png', 'bloom-false-positives.png', 'write-amplification.png', 'latency.png'];

/** Every chart the report has data for, in report order. */
export function renderCharts(model: CapacityModel, measured: Measured): RenderedChart[] {
  const charts = [ringChart(model, measured), strategiesChart(measured), bloomChart(measured), writeAmpChart(model, measured)];
  const latency = latencyChart(measured);
  if (latency !== null) charts.push(latency);
  return charts;
}
