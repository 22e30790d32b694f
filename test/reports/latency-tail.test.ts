import { describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import * as charts from '../../reports/charts';
import { reportMarkdown } from '../../reports/writers';
import { latency, measured, scenario } from './fixture';

/**
 * Under 1 000 samples a "p999" is the largest sample: `sim run` prints it as "max" (cli/commands/sim-run.ts);
 * the capacity report's table and latency chart called it p999.
 */
const mixed = measured({ scenario: scenario({ latency: [latency('get', 2178, 1.75), latency('cas', 412, 5.17)] }) });
const report = (m = mixed) => ({ model: capacityModel(), measured: m, charts: [], command: 'x' });

describe('latency tail: "max", not "p999", for an operation with fewer than 1 000 samples', () => {
  it('the scenario table marks the small operation\'s tail as its max and keeps p999 for the other', () => {
    const md = reportMarkdown(report());
    expect(md).toContain('| get | 2,178 | 0.9 ms | 1.5 ms | 1.75 ms |');
    expect(md).toContain('| cas | 412 | 0.9 ms | 1.5 ms | max 5.17 ms |');
    // Said once beside the table, only when an operation is that small.
    expect(md).toMatch(/fewer than 1,000 samples/);
    const large = reportMarkdown(report(measured({ scenario: scenario({ latency: [latency('get', 2178, 1.75)] }) })));
    expect(large).not.toMatch(/max \d|fewer than 1,000 samples/);
  });

  it('the latency chart names the bar: p999 where there are 1 000 samples, max where fewer', () => {
    const latencyChart = charts.renderCharts(capacityModel(), mixed).find((c) => c.file === 'latency.png')!;
    expect(latencyChart.caption).toMatch(/max, not p999, for cas \(412 samples\)/);
    const config = charts.latencyChartConfig(mixed.scenario!);
    const labels = config.data.labels as string[];
    expect(labels[0]).toBe('get (2178)');
    expect(labels[1]).toMatch(/^cas \(412; .*max/);
    const tail = config.data.datasets[2]!;
    expect(tail.label).not.toBe('p999');
    expect(tail.label).toMatch(/max/);
    // Every operation large enough: a plain p999 bar, and only small ones: a plain max bar.
    expect(charts.latencyChartConfig(scenario({ latency: [latency('get', 2178, 1.75)] })).data.datasets[2]!.label).toBe('p999');
    expect(charts.latencyChartConfig(scenario({ latency: [latency('cas', 12, 1.75)] })).data.datasets[2]!.label).toBe('max');
  });
});
