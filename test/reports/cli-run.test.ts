import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `dynalab report capacity` as a user runs it: a child process, its output and its exit code. */
const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dynalab-report-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function report(...args: string[]) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'bin/dynalab.js'), 'report', 'capacity', ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, seconds: (performance.now() - started) / 1000 };
}

// A small model cluster keeps the ring measurement short; the LSM measurement is the same at any size.
const small = ['--nodes', '50', '--vnodes', '64'];

describe('dynalab report capacity — exit codes', () => {
  it('--out naming an existing file is refused up front: one line, exit 2, nothing measured', () => {
    writeFileSync(join(work, 'taken'), 'not a directory');
    const run = report(...small, '--out', 'taken');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim()).toBe("dynalab report capacity: --out: 'taken' exists and is not a directory");
    expect(run.stderr).not.toMatch(/EEXIST|^\s+at /m);
    expect(run.stdout).toBe('');
    expect(readFileSync(join(work, 'taken'), 'utf8')).toBe('not a directory');
  });

  it('a scenario whose verdict is fail: report written, failed checks named in the findings, exit 1 with the reason', () => {
    const run = report(...small, '--scenario', join(root, 'scenarios/clock-skew.yaml'), '--out', 'skew');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^dynalab report capacity: scenario clock-skew \(.*clock-skew\.yaml\) failed — lost-writes: .*acknowledged writes lost/m);
    expect(run.stdout).toMatch(/scenario {7}clock-skew \(5 nodes × 64 vnodes, N=3 R=2 W=2\): FAIL \(lost-writes FAILED/);
    const md = readFileSync(join(work, 'skew/capacity.md'), 'utf8');
    const scenarioSection = md.slice(md.indexOf('## Scenario clock-skew'));
    const finding = /> \*\*What this means\.\*\* (.*)/.exec(scenarioSection)![1]!;
    expect(finding).toMatch(/^\*\*Check lost-writes FAILED\*\*/);
    // Said at the top of the report too, not only at the end.
    expect(md.indexOf('Check lost-writes FAILED')).toBeLessThan(md.indexOf('## Model inputs'));
  });

  it('a scenario that passes exits 0, and the heading keeps the model\'s cluster apart from the scenario\'s', () => {
    writeFileSync(join(work, 'tiny.yaml'), 'name: tiny\nseed: 5\nduration: 4s\nquiescence: 2s\ncluster: { nodes: 3, vnodes: 16 }\nworkload: { rate: 50, clients: 4, keys: 20 }\nchecks: [lost-writes]\n');
    const run = report(...small, '--scenario', 'tiny.yaml', '--out', 'ok');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^dynalab report capacity — model: 50 nodes, N=3, 64 vnodes; scenario: its own 3-node cluster$/m);
    expect(run.stdout).toMatch(/scenario {7}tiny \(3 nodes × 16 vnodes, N=3 R=2 W=2\): ok;/);
  });
});
