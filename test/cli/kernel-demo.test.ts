import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectionLine, durationProblem, formatKernelDemo, parseDuration, parseNodes } from '../../cli/commands/kernel-demo';
import { kernelDemoSchedule, runKernelDemo } from '../../sim/demos/kernel-demo';

const run = (seed: number, nodes: number, durationSeconds: number) => {
  const durationMicros = Math.round(durationSeconds * 1e6);
  return runKernelDemo({ seed, nodes, durationMicros, ...kernelDemoSchedule(durationMicros) });
};

describe('sim kernel-demo (the pure parts of the command)', () => {
  it('--nodes takes a whole number from 2 to 5000 and names what was typed otherwise', () => {
    expect(parseNodes('2')).toBe(2);
    expect(parseNodes(5000)).toBe(5000);
    expect(parseNodes(' 50 ')).toBe(50);
    for (const bad of ['1', '5001', '3.5', 'abc', '', '-4', '0x10', '1e3']) {
      expect(() => parseNodes(bad)).toThrow(`--nodes must be a whole number from 2 to 5000, got '${bad}'`);
    }
  });

  it('--duration takes simulated seconds > 0', () => {
    expect(parseDuration('70')).toBe(70);
    expect(parseDuration(56.5)).toBe(56.5);
    for (const bad of ['0', '-3', 'abc', '', '0.0', 'Infinity']) {
      expect(() => parseDuration(bad)).toThrow(`--duration must be a number of simulated seconds > 0, got '${bad}'`);
    }
  });

  it('a duration too short for the cluster is refused, naming the minimum and what it is made of', () => {
    const problem = durationProblem(50, 10);
    expect(problem).toMatch(/^--duration 10 is too short for 50 nodes: it needs at least 51 s \(9\.0 s of warm-up before the partition at 15\/70 of it, 18\.0 s to detect the partition before the heal at 40\/70, 9\.0 s to converge after the heal\)$/);
    expect(durationProblem(50, 50.9)).toMatch(/at least 51 s/);
    expect(durationProblem(50, 51)).toBeNull();
    expect(durationProblem(50, 70)).toBeNull();
    expect(durationProblem(500, 67)).toMatch(/^--duration 67 is too short for 500 nodes: it needs at least 68 s/);
    expect(durationProblem(500, 70)).toBeNull(); // the default still runs 500 nodes
  });

  it('no detection before the heal gets a sentence that says so, with how far the majority got', () => {
    const result = runKernelDemo({ seed: 1, nodes: 50, durationMicros: 40_000_000, partitionAtMicros: 15_000_000, healAtMicros: 20_000_000 });
    const line = detectionLine(result);
    expect(line).toMatch(/^ {4}not detected {11}before the heal: \d+ of 35 majority nodes had dropped all 15 minority nodes \(a majority node had dropped \d+\.\d of 15 on average\)$/);
    expect(line).not.toMatch(/every majority node dropped every minority node/);
    expect(detectionLine(run(7, 50, 70))).toBe('    detected after         14.8 s (every majority node dropped every minority node)');
  });

  it('a --duration other than 70 puts the partition and heal times in the header', () => {
    const text = formatKernelDemo(run(1, 10, 45), 45, 1);
    expect(text.split('\n')[2]).toBe('partition at 9.6 s, heal at 25.7 s (15/70 and 40/70 of --duration 45)');
    expect(text).toMatch(/for 45 s simulated/);
    expect(formatKernelDemo(run(2, 4, 30.5), 30.5, 1)).toMatch(/for 30\.5 s simulated\n[^]*--duration 30\.5$/);
  });

  it('the default run prints exactly what the README shows (but the wall time)', () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const block = /\$ npx dynalab sim kernel-demo --seed 7 --nodes 50\n([^]*?)\n```/.exec(readme);
    expect(block).not.toBeNull();
    const wall = (text: string) => text.replace(/ in \d+ ms wall/, ' in … ms wall');
    expect(wall(formatKernelDemo(run(7, 50, 70), 70, 123))).toBe(wall(block![1]!));
  });
});
