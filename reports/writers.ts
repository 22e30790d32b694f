/**
 * Writes a capacity report directory: capacity.md (charts referenced as the PNG files beside it),
 * capacity.html (self-contained: inline CSS, charts embedded as data URIs) and the PNGs themselves.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportDocument, type CapacityReport } from './capacity-report';
import { toHtml, toMarkdown } from './document';

export type { CapacityReport } from './capacity-report';

export interface WrittenReport {
  markdown: string;
  html: string;
  charts: string[];
}

export function reportMarkdown(report: CapacityReport): string {
  return toMarkdown(buildReportDocument(report));
}

export function reportHtml(report: CapacityReport): string {
  return toHtml(buildReportDocument(report));
}

/** Writes the report into `dir` (created if missing) and returns the paths written. */
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
  return { markdown, html, charts };
}
