/**
 * Writes a capacity report directory: capacity.md (charts referenced as the PNG files beside it),
 * capacity.html (self-contained: inline CSS, charts embedded as data URIs) and the PNGs themselves.
 */
import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportDocument, type CapacityReport } from './capacity-report';
import { CHART_FILES } from './charts';
import { toHtml, toMarkdown } from './document';

export type { CapacityReport } from './capacity-report';

export interface WrittenReport {
  markdown: string;
  html: string;
  charts: string[];
  /** Charts an earlier report left in the directory that this one did not draw, removed. */
  removed: string[];
}

export function reportMarkdown(report: CapacityReport): string {
  return toMarkdown(buildReportDocument(report));
}

export function reportHtml(report: CapacityReport): string {
  return toHtml(buildReportDocument(report));
}

/**
 * Removes the report's own chart files (CHART_FILES) that this report did not draw — left by an earlier report
 * into the same directory (latency.png from a run with --scenario) — and returns their paths. Only regular
 * files and links of those names; nothing else in the directory is touched.
 */
function removeStaleCharts(dir: string, drawn: readonly string[]): string[] {
  const removed: string[] = [];
  for (const file of CHART_FILES) {
    if (drawn.includes(file)) continue;
    const path = join(dir, file);
    let stale = false;
    try {
      const stat = lstatSync(path);
      stale = stat.isFile() || stat.isSymbolicLink();
    } catch {
      // Not there: nothing to remove.
    }
    if (stale) {
      rmSync(path);
      removed.push(path);
    }
  }
  return removed;
}

/** Writes the report into `dir` (created if missing) and returns the paths written and the stale charts removed. */
export function writeReport(dir: string, report: CapacityReport): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const doc = buildReportDocument(report);
  const charts = report.charts.map((chart) => {
    const path = join(dir, chart.file);
    writeFileSync(path, chart.png);
    return path;
  });
  const markdown = join(dir, 'capacity.md');
  const html = join(dir, 'capacity.html');
  writeFileSync(markdown, toMarkdown(doc));
  writeFileSync(html, toHtml(doc));
  // Once the new report is in place, so a write that fails leaves the earlier report whole.
  const removed = removeStaleCharts(dir, report.charts.map((chart) => chart.file));
  return { markdown, html, charts, removed };
}
