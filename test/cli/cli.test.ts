import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The `dynalab` command as a user runs it: a child process, its output and its exit code. */
const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dynalab-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function dynalab(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'bin/dynalab.js'), ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const tiny = (checks: string, quorum = 'n: 3, r: 2, w: 2') => `name: tiny
seed: 4
duration: 6s
quiescence: 2s
cluster: { nodes: 4, vnodes: 16, ${quorum} }
workload: { rate: 60, clients: 6, keys: 10, mix: { get: 0.5, put: 0.5 } }
faults:
  - { at: 1s, partition: { isolate: n1 } }
  - { at: 3s, heal: true }
checks: [${checks}]
`;

describe('dynalab CLI', () => {
  it('sim run prints verdicts, figures, the seed and the replay command, writes --out files, and replays identically', () => {
    writeFileSync(join(work, 'tiny.yaml'), tiny('lost-writes, stale-reads'));
    const first = dynalab('sim', 'run', 'tiny.yaml', '--out', 'out1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/scenario tiny — seed 4/);
    expect(first.stdout).toMatch(/ok\s+lost-writes/);
    expect(first.stdout).toMatch(/replay: npx dynalab sim run tiny\.yaml --seed 4/);
    const result = JSON.parse(readFileSync(join(work, 'out1/result.json'), 'utf8'));
    expect(result.verdict).toBe('ok');
    expect(readFileSync(join(work, 'out1/history.jsonl'), 'utf8').split('\n')[0]).toMatch(/"type":"invoke"/);
    const second = dynalab('sim', 'run', 'tiny.yaml', '--out', 'out2');
    expect(readFileSync(join(work, 'out2/trace-hash'), 'utf8')).toBe(readFileSync(join(work, 'out1/trace-hash'), 'utf8'));
  });

  it('a failed check exits 1 and names the first counterexample', () => {
    writeFileSync(join(work, 'siblings.yaml'), tiny('{ siblings: { maxSiblings: 0 } }'));
    const run = dynalab('sim', 'run', 'siblings.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+siblings/);
    expect(run.stdout).toMatch(/first counterexample \(siblings, key k\d+/);
  });

  it('bad input gets a clear error and a non-zero exit', () => {
    writeFileSync(join(work, 'bad.yaml'), tiny('lost-writes', 'n: 3, r: 4, w: 2'));
    const bad = dynalab('sim', 'run', 'bad.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:5:\d+: cluster(\.r)?: r=4 cannot exceed n=3/);
    const missing = dynalab('sim', 'run', 'missing.yaml');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read scenario 'missing\.yaml'/);
    const seed = dynalab('sim', 'run', 'tiny.yaml', '--seed', 'abc');
    expect(seed.code).not.toBe(0);
    expect(seed.stderr).toMatch(/--seed must be a whole number/);
    expect(existsSync(join(work, 'runs'))).toBe(false);
  });

  it('kv refuses a malformed number or conflicting conditions before calling anyone, naming what was typed', () => {
    const r = dynalab('kv', 'get', 'k', '--r', 'abc', '--endpoint', '127.0.0.1:9');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--r abc: expected a whole number/);
    const ttl = dynalab('kv', 'put', 'k', 'v', '--ttl', '-1', '--endpoint', '127.0.0.1:9');
    expect(ttl.code).not.toBe(0);
    expect(ttl.stderr).toMatch(/--ttl -1: expected a positive number/);
    const both = dynalab('kv', 'put', 'k', 'v', '--if-match', 'abc', '--if-absent', '--endpoint', '127.0.0.1:9');
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/mutually exclusive|conflict/i);
  });

  it('--help lists the verbs', () => {
    const help = dynalab('--help');
    expect(help.code).toBe(0);
    for (const verb of ['sim', 'check', 'report', 'serve', 'deploy', 'kv']) expect(help.stdout).toContain(`dynalab ${verb}`);
  });
});
