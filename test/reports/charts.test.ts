import { describe, expect, it } from 'vitest';
import type { Chart } from 'chart.js';
import { bloomChartConfig, logBounds, renderChart, ringChartConfig } from '../../reports/charts';
import { measureBloom } from '../../reports/measured/bloom';
import { measureRing } from '../../reports/measured/ring';
import type { Measured } from '../../reports/measured';

/** The charts as drawn: chart.js lays them out on the canvas, and the test reads its scales back. */
const drawn = (config: Parameters<typeof renderChart>[0]): Chart => {
  let seen: Chart | undefined;
  renderChart(config, 900, 500, (chart) => {
    seen = chart;
  });
  // The scales and chart area are plain numbers computed at layout; keep copies before destroy() clears them.
  const x = seen!.scales.x!;
  const y = seen!.scales.y!;
  const area = { ...seen!.chartArea };
  const px = (v: number) => x.getPixelForValue(v);
  const py = (v: number) => y.getPixelForValue(v);
  return { chartArea: area, scales: { x: { type: x.type, getPixelForValue: px }, y: { type: y.type, getPixelForValue: py } } } as unknown as Chart;
};

describe('charts', () => {
  it('ring balance: vnodes on a logarithmic numeric axis, so equal ratios are equal distances', () => {
    const ring = measureRing(40, 64, 3);
    const chart = drawn(ringChartConfig({ ring } as Measured));
    const x = chart.scales.x!;
    expect(x.type).toBe('logarithmic');
    const px = (v: number) => x.getPixelForValue(v);
    // 1 → 8 is three doublings, 128 → 256 one: on a category axis both were one step apart.
    expect((px(8) - px(1)) / (px(256) - px(128))).toBeCloseTo(3, 5);
    expect((px(64) - px(32)) / (px(256) - px(128))).toBeCloseTo(1, 5);
  });

  it('bloom false positives: every point, with its radius, inside the plot area (16 bits/key included)', () => {
    const bloom = measureBloom(10, 20_000, 50_000);
    const config = bloomChartConfig({ bloom } as Measured);
    const chart = drawn(config);
    const area = chart.chartArea;
    const radius = 6;
    for (const p of bloom.points) {
      const cx = chart.scales.x!.getPixelForValue(p.bitsPerKey);
      const cy = chart.scales.y!.getPixelForValue(p.measured * 100);
      expect(cx - radius, `${p.bitsPerKey} bits/key`).toBeGreaterThanOrEqual(area.left);
      expect(cx + radius, `${p.bitsPerKey} bits/key`).toBeLessThanOrEqual(area.right);
      expect(cy - radius, `${p.bitsPerKey} bits/key`).toBeGreaterThanOrEqual(area.top);
      expect(cy + radius, `${p.bitsPerKey} bits/key`).toBeLessThanOrEqual(area.bottom);
    }
  });

  it('log bounds pad the data and round out to 1, 2 or 5 × a power of ten', () => {
    expect(logBounds([3.74, 96.8], 1.4)).toEqual({ min: 2, max: 200 });
    expect(logBounds([0.078, 39], 2)).toEqual({ min: 0.02, max: 100 });
    expect(logBounds([1, 256], 1.3)).toEqual({ min: 0.5, max: 500 });
  });
});
