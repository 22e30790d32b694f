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
import type { Measured } from './measured';
import { sig } from './units';

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

/** Draws one chart and returns its PNG bytes. */
export function renderChart(config: ChartConfiguration, width = WIDTH, height = HEIGHT): Buffer {
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  const options = config.options ?? {};
  const chart = new Chart(context as unknown as ChartItem, {
    ...config,
    options: { ...options, animation: false, responsive: false, maintainAspectRatio: false, devicePixelRatio: 1, events: [] },
    plugins: [...(config.plugins ?? []), whiteBackground],
  } as ChartConfiguration);
  const png = canvas.toBuffer('image/png');
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

function ringChart(model: CapacityModel, measured: Measured): RenderedChart {
  const points = measured.ring.byVnodes;
  const options = baseOptions(`Ownership spread vs vnodes — ${measured.ring.nodes} nodes, N=${measured.ring.replicas}`, 'vnodes per node', 'stddev of share, % of mean (log scale)');
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: points.map((p) => String(p.vnodes)),
      datasets: [
        { label: 'model: 100 ÷ √vnodes', data: points.map((p) => p.expectedPercent), borderColor: COLORS.model, backgroundColor: COLORS.model, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
        { label: 'measured: primary ranges', data: points.map((p) => p.primaryStddevPercent), borderColor: COLORS.primary, backgroundColor: COLORS.primary, pointRadius: 5, borderWidth: 2 },
        { label: `measured: all ${measured.ring.replicas} replicas`, data: points.map((p) => p.replicaStddevPercent), borderColor: COLORS.replica, backgroundColor: COLORS.replica, pointRadius: 5, borderWidth: 2 },
      ],
    },
    options: { ...options, scales: { ...options.scales, y: { ...options.scales.y, ...logAxis } } },
  };
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

function bloomChart(measured: Measured): RenderedChart {
  const points = measured.bloom.points;
  const max = Math.max(...points.map((p) => p.bitsPerKey));
  const curve: { x: number; y: number }[] = [];
  for (let b = 1; b <= max + 1e-9; b += 0.25) curve.push({ x: b, y: blockedBloomFalsePositive(b) * 100 });
  const options = baseOptions('Bloom filter false positives vs bits per key', 'bits per key', 'false positives, % (log scale)');
  const config: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'model: blocked filter, 512-bit blocks, k = round(b·ln 2)', data: curve, showLine: true, borderColor: COLORS.model, backgroundColor: COLORS.model, pointRadius: 0, borderWidth: 2 },
        { label: `measured: ${measured.bloom.lookups.toLocaleString('en-US')} absent keys per filter`, data: points.map((p) => ({ x: p.bitsPerKey, y: p.measured * 100 })), borderColor: COLORS.primary, backgroundColor: COLORS.primary, pointRadius: 6 },
      ],
    },
    options: {
      ...options,
      scales: { x: { ...options.scales.x, type: 'linear', min: 1, max }, y: { ...options.scales.y, ...logAxis } },
    },
  };
  return {
    file: 'bloom-false-positives.png',
    title: 'Bloom false positives',
    caption: `False-positive rate of the engine's filter against the formula; chosen ${measured.bloom.chosen.bitsPerKey} bits/key measured ${(measured.bloom.chosen.measured * 100).toFixed(2)} %.`,
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

function latencyChart(measured: Measured): RenderedChart | null {
  const scenario = measured.scenario;
  if (scenario === null || scenario.latency.length === 0) return null;
  const options = baseOptions(`Latency percentiles — scenario ${scenario.name} (seed ${scenario.seed})`, 'operation', 'milliseconds');
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: scenario.latency.map((l) => `${l.op} (${l.summary.count})`),
      datasets: [
        { label: 'p50', data: scenario.latency.map((l) => l.summary.p50Ms), backgroundColor: COLORS.primary },
        { label: 'p99', data: scenario.latency.map((l) => l.summary.p99Ms), backgroundColor: COLORS.replica },
        { label: 'p999', data: scenario.latency.map((l) => l.summary.p999Ms), backgroundColor: COLORS.fourth },
      ],
    },
    options,
  };
  return {
    file: 'latency.png',
    title: 'Scenario latency',
    caption: `Simulated latency percentiles per operation in ${scenario.file}.`,
    png: renderChart(config as ChartConfiguration),
  };
}

/** Every chart the report has data for, in report order. */
export function renderCharts(model: CapacityModel, measured: Measured): RenderedChart[] {
  const charts = [ringChart(model, measured), strategiesChart(measured), bloomChart(measured), writeAmpChart(model, measured)];
  const latency = latencyChart(measured);
  if (latency !== null) charts.push(latency);
  return charts;
}
