import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import { renderCharts } from '../../reports/charts';
import { toHtml, toMarkdown } from '../../reports/document';
import { lsmFinding } from '../../reports/findings';
import { measure } from '../../reports/measured';
import { writeReport } from '../../reports/writers';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The writer end to end on a small cluster and a small LSM load: files exist, PNGs are PNGs, numbers appear. */
describe('report writer', () => {
  const model = capacityModel({ nodes: 50, vnodes: 64 });
  const measured = measure({
    nodes: 50, vnodes: 64, replicas: 3, bloomBitsPerKey: 10,
    compactionLoad: { puts: 3000, keySpace: 3000, valueBytes: 400, memtableBytes: 16 * 1024, seed: 1 },
    scenario: {
      file: 'tiny.yaml',
      text: 'name: tiny\nseed: 5\nduration: 6s\nquiescence: 2s\ncluster: { nodes: 3, vnodes: 16 }\nworkload: { rate: 100, clients: 5, keys: 20 }\n',
    },
  });
  const report = { model, measured, charts: renderCharts(model, measured), command: 'dynalab report capacity --nodes 50 --vnodes 64' };

  it('writes capacity.md, capacity.html and valid PNG charts into the directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynalab-report-'));
    dirs.push(dir);
    const written = writeReport(join(dir, 'out'), report);
    expect(written.charts.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual([
      'ring-balance.png', 'partition-strategies.png', 'bloom-false-positives.png', 'write-amplification.png', 'latency.png',
    ]);
    for (const path of written.charts) {
      const bytes = readFileSync(path);
      expect([...bytes.subarray(0, 8)], path).toEqual(PNG_SIGNATURE);
      expect(bytes.length, path).toBeGreaterThan(5000);
    }
    const md = readFileSync(written.markdown, 'utf8');
    const html = readFileSync(written.html, 'utf8');
    expect(statSync(written.markdown).size).toBeGreaterThan(1000);
    // The model's arithmetic and the measured figures are in both formats.
    expect(md).toContain('100 TB × 3 = 300 TB');
    expect(md).toContain('300 TB ÷ 50 = 6 TB');
    expect(md).toContain('![');
    expect(md).toContain('ring-balance.png');
    expect(md).toContain('What this means');
    expect(md).toContain('## Scenario tiny (tiny.yaml, seed 5)');
    expect(md).toContain(`${Number(measured.ring.byVnodes.find((p) => p.vnodes === 64)!.primaryStddevPercent.toPrecision(3)).toString()} %`);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('data:image/png;base64,iVBORw0KGgo'); // the PNG signature, base64
    expect(html).toContain('100 TB × 3 = 300 TB');
    expect(html).not.toMatch(/<script|src="http/);
  });

  it('findings follow the numbers: under-loaded nodes read as headroom, overloaded ones as a shortfall', () => {
    const relaxed = lsmFinding(capacityModel({ peakWritesPerSec: 100_000 })).join(' ');
    expect(relaxed).toContain('600/s replica writes per node is 6 % of the 10 K/s');
    expect(relaxed).toContain('headroom');
    const seeds = lsmFinding(capacityModel()).join(' ');
    expect(seeds).toContain('300 % of the 10 K/s');
    expect(seeds).toContain('1,500 nodes');
  });

  it('Markdown tables escape pipes; findings render as a quoted block', () => {
    const md = toMarkdown({ title: 't', blocks: [
      { kind: 'table', header: ['a', 'b'], rows: [['x | y', '1']] },
      { kind: 'finding', lines: ['first', 'second'] },
    ] });
    expect(md).toContain('| x \\| y | 1 |');
    expect(md).toContain('> **What this means.** first\n>\n> second');
  });

  it('HTML escapes text and keeps inline code', () => {
    const html = toHtml({ title: '<t>', blocks: [{ kind: 'paragraph', text: 'a < b & `x`' }] });
    expect(html).toContain('a &lt; b &amp; <code>x</code>');
    expect(html).toContain('<title>&lt;t&gt;</title>');
  });
});
