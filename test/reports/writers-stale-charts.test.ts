import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import { CHART_FILES, renderCharts, type RenderedChart } from '../../reports/charts';
import { writeReport } from '../../reports/writers';
import { measured, scenario } from './fixture';

/**
 * A report written into a directory that holds an earlier report: a chart this run does not draw (latency.png
 * without --scenario) must not stay behind, beside a capacity.md that no longer shows it.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const FILES = ['ring-balance.png', 'partition-strategies.png', 'bloom-false-positives.png', 'write-amplification.png'];
const chart = (file: string): RenderedChart => ({ file, title: file, caption: file, png: Buffer.from(`png ${file}`) });

describe('report writer: charts of an earlier run', () => {
  it('a report without a scenario removes the latency chart an earlier run left, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynalab-report-stale-'));
    dirs.push(dir);
    const model = capacityModel();
    writeReport(dir, { model, measured: measured({ scenario: scenario() }), charts: [...FILES, 'latency.png'].map(chart), command: 'x' });
    expect(existsSync(join(dir, 'latency.png'))).toBe(true);
    // Not the report's: left alone.
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'latency-old.png'), 'mine');
    mkdirSync(join(dir, 'sub'));

    const written = writeReport(dir, { model, measured: measured(), charts: FILES.map(chart), command: 'x' });
    expect(existsSync(join(dir, 'latency.png'))).toBe(false);
    expect(written.removed).toEqual([join(dir, 'latency.png')]);
    expect(readdirSync(dir).sort()).toEqual([...FILES, 'capacity.html', 'capacity.md', 'latency-old.png', 'notes.txt', 'sub'].sort());
  });

  it('every chart the report can draw is one it knows to remove', () => {
    const drawn = renderCharts(capacityModel(), measured({ scenario: scenario() })).map((c) => c.file);
    expect(drawn).toContain('latency.png');
    for (const file of drawn) expect(CHART_FILES).toContain(file);
  });

  it('a fresh directory: nothing to remove', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynalab-report-stale-'));
    dirs.push(dir);
    const written = writeReport(join(dir, 'out'), { model: capacityModel(), measured: measured(), charts: FILES.map(chart), command: 'x' });
    expect(written.removed).toEqual([]);
  });
});
