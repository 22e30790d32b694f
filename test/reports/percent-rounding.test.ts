import { describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import { summaryLines } from '../../reports/capacity-report';
import { renderCharts } from '../../reports/charts';
import { scenarioFinding } from '../../reports/findings';
import { reportMarkdown } from '../../reports/writers';
import { measured, scenario } from './fixture';

/**
 * A share below 1 never reads as 100 %: 99.97 % availability rounded to three figures said "100 %" in the
 * reading while the table beside it said 99.97 %.
 */
const report = (m = measured()) => ({ model: capacityModel(), measured: m, charts: [], command: 'x' });

describe('percentages: a share below 1 is never rounded up to 100 %', () => {
  it('the scenario reading gives availability with the table\'s four figures', () => {
    const text = scenarioFinding(measured({ scenario: scenario() })).join(' ');
    expect(text).toContain('Availability during faults was 99.97 % over 10 s of faults, 100 % outside them.');
    expect(text).not.toMatch(/was 100 %/);
    // The table says the same.
    expect(reportMarkdown(report(measured({ scenario: scenario() })))).toContain('| availability | 99.97 % during faults (10 s), 100 % outside |');
  });

  it('even past four figures (99.999 %), in the reading, the table and the terminal summary', () => {
    const m = measured({ scenario: scenario({ availability: { duringFaults: 0.99999, outsideFaults: 0.999996, faultSeconds: 10 } }) });
    const reading = scenarioFinding(m).join(' ');
    expect(reading).toContain('Availability during faults was 99.999 % over 10 s of faults, 99.9996 % outside them.');
    expect(reportMarkdown(report(m))).toContain('| availability | 99.999 % during faults (10 s), 99.9996 % outside |');
    const line = summaryLines(report(m)).find((l) => l.includes('scenario'))!;
    expect(line).toMatch(/availability in faults 99\.999 %$/);
    expect(`${reading} ${line}`).not.toMatch(/\b100 %/);
  });

  it('the bloom chart\'s alt text gives the measured rate as the table does (0.975 %, not 0.97 %)', () => {
    const bloom = renderCharts(capacityModel(), measured()).find((c) => c.file === 'bloom-false-positives.png')!;
    expect(bloom.caption).toContain('measured 0.975 %');
    expect(reportMarkdown(report())).toContain('| 10 (chosen) | 7 | 0.957 % | 0.975 % |');
  });
});
