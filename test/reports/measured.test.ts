import { describe, expect, it } from 'vitest';
import { measureBloom } from '../../reports/measured/bloom';
import { measureCompaction } from '../../reports/measured/compaction';
import { measureRing } from '../../reports/measured/ring';
import { measureScenario } from '../../reports/measured/scenario';

/** The measurements the report sets beside the model, on loads small enough for the default test run. */
describe('measured figures', () => {
  it('ring: ownership spread falls as vnodes grow (coarsely) and tracks 1/√vnodes', () => {
    const ring = measureRing(100, 64, 3);
    const spread = ring.byVnodes.map((p) => p.primaryStddevPercent);
    expect(ring.byVnodes.map((p) => p.vnodes)).toEqual([1, 8, 32, 64, 128, 256]);
    // Coarse: each step at least 4× the vnodes of the one compared, so noise cannot invert the order.
    expect(spread[0]!).toBeGreaterThan(spread[2]!); // 1 → 32
    expect(spread[1]!).toBeGreaterThan(spread[4]!); // 8 → 128
    expect(spread[2]!).toBeGreaterThan(spread[5]!); // 32 → 256
    for (const p of ring.byVnodes) {
      expect(p.primaryStddevPercent / p.expectedPercent).toBeGreaterThan(0.6);
      expect(p.primaryStddevPercent / p.expectedPercent).toBeLessThan(1.5);
      expect(p.replicaStddevPercent).toBeLessThan(p.primaryStddevPercent);
    }
    const [s1, , s3] = ring.strategies;
    expect(s3!.primaryStddevPercent).toBeLessThan(s1!.primaryStddevPercent);
  });

  it('bloom: measured false positives within sampling error of the model, and falling with bits/key', () => {
    const bloom = measureBloom(10, 20_000, 50_000);
    expect(bloom.chosen.bitsPerKey).toBe(10);
    for (const p of bloom.points) expect(Math.abs(p.measured - p.model)).toBeLessThan(Math.max(0.002, p.model * 0.25));
    for (let i = 1; i < bloom.points.length; i++) expect(bloom.points[i]!.measured).toBeLessThan(bloom.points[i - 1]!.measured);
  });

  it('compaction: the real engine on the simulated disk — leveled writes more than size-tiered, both > 1×', () => {
    const load = { puts: 6000, keySpace: 6000, valueBytes: 500, memtableBytes: 16 * 1024, seed: 3 };
    const tiered = measureCompaction('size-tiered', 10, load);
    const leveled = measureCompaction('leveled', 10, load);
    expect(tiered.userBytes).toBe(leveled.userBytes);
    expect(tiered.tableWriteAmplification).toBeGreaterThan(1);
    expect(leveled.tableWriteAmplification).toBeGreaterThan(tiered.tableWriteAmplification);
    expect(leveled.engineBloomProbes).toBeGreaterThan(0);
    // Deterministic: the same load gives the same figures.
    expect(measureCompaction('leveled', 10, load).tableWriteAmplification).toBe(leveled.tableWriteAmplification);
  });
});

describe('measured figures — a scenario run', () => {
  it('keeps latency percentiles, availability, staleness and siblings from the run', () => {
    const text = [
      'name: tiny', 'seed: 5', 'duration: 6s', 'quiescence: 2s',
      'cluster: { nodes: 3, vnodes: 16, n: 3, r: 2, w: 2 }',
      'workload: { rate: 100, clients: 5, keys: 20, mix: { get: 0.5, put: 0.5 } }',
      'checks: [lost-writes, stale-reads, siblings]',
    ].join('\n');
    const s = measureScenario(text, 'tiny.yaml');
    expect(s.name).toBe('tiny');
    expect(s.latency.map((l) => l.op)).toEqual(['get', 'put']);
    for (const l of s.latency) expect(l.summary.p99Ms).toBeGreaterThanOrEqual(l.summary.p50Ms);
    expect(s.staleReads).not.toBeNull();
    expect(s.siblings).not.toBeNull();
    expect(s.traceHash).toMatch(/^[0-9a-f]{16}$/);
  });
});
