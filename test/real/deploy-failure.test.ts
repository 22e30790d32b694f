import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynalabClient } from '../../real/client';
import { tempDir } from './harness';

// A deploy that fails — bad options, or a node that does not start — leaves a fresh data directory as it found
// it, so that the corrected command is not told the directory "holds a 1-node cluster".

const BIN = path.resolve(__dirname, '../../bin/dynalab.js');
const root = tempDir('deploy-failure');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

function deployFailing(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync(process.execPath, [BIN, 'deploy', '--port', '0', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

/** Runs deploy until it prints its endpoints, checks node 0 answers, then stops it with SIGTERM. */
async function deployAndStop(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'deploy', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deploy not ready in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^ {2}n0 {2}(http:\/\/\S+)/m.exec(out);
      if (match && out.includes('Ctrl-C stops the cluster')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`deploy exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
  await new DynalabClient(endpoint).put('k', 'v');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return out;
}

describe('dynalab deploy that fails', () => {
  it('rejects bad quorum options before writing anything, so the corrected command works', async () => {
    const data = path.join(root, 'quorum');
    const bad = deployFailing(['--nodes', '3', '-n', '5', '--data', data]);
    expect(bad.code).toBe(2);
    expect(fs.existsSync(data) ? fs.readdirSync(data) : 'absent').toBe('absent');
    expect(bad.stderr).toMatch(/--n: n=5 exceeds the 3 members/);

    fs.mkdirSync(data); // an existing empty directory stays empty
    const badR = deployFailing(['--nodes', '3', '--r', '4', '--data', data]);
    expect(badR.code).toBe(2);
    expect(badR.stderr).toMatch(/--r: r=4 cannot exceed n=3/);
    expect(fs.readdirSync(data)).toEqual([]);

    const out = await deployAndStop(['--nodes', '3', '--data', data]);
    expect(out).not.toMatch(/existing cluster/);
    expect(fs.readdirSync(data).filter((f) => f.endsWith('.yaml')).sort()).toEqual(['n0.yaml', 'n1.yaml', 'n2.yaml']);
  }, 60_000);

  it('refuses a --port that is not a port (or whose peer ports would not be) and an empty --token, writing nothing', () => {
    const data = path.join(root, 'ports');
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'deploy', '--data', data, ...args], { encoding: 'utf8', timeout: 60_000 });
    const word = run(['--port', 'abc']);
    expect(word.status).toBe(2);
    expect(word.stderr).toMatch(/--port abc: give a whole number from 1 to 64533/);
    expect(run(['--port=abc']).stderr).toMatch(/--port abc: give a whole number/);
    const high = run(['--port', '65000']);
    expect(high.status).toBe(2);
    expect(high.stderr).toMatch(/--port 65000: give a whole number .* port \+ 1000 \+ i/);
    // Before: `--token "$UNSET"` started a cluster that took no token at all.
    const empty = run(['--port', '0', '--token', '']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--token is empty/);
    expect(fs.existsSync(data) ? fs.readdirSync(data) : 'absent').toBe('absent');
  }, 60_000);

  it('on an existing cluster, refuses options that differ from its configs instead of ignoring them', async () => {
    const dir = path.join(root, 'existing-options');
    await deployAndStop(['--nodes', '1', '--data', dir]);
    const again = deployFailing(['--nodes', '1', '--data', dir, '--conflict', 'lww', '--token', 'tok']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/holds an existing cluster.*--conflict lww \(the cluster has vclock\); --token \(the cluster has no token\)/s);
    await deployAndStop(['--nodes', '1', '--data', dir, '--conflict', 'vclock']); // the same settings: fine
  }, 60_000);

  it('removes what it created when a node fails to start on a fresh directory, and keeps an existing cluster', async () => {
    const data = path.join(root, 'start', 'data');
    // Every node process refuses to run: Node.js rejects the flag.
    const broken = { DYNALAB_NODE_ARGS: '--no-such-node-flag-for-this-test' };
    const failed = deployFailing(['--nodes', '2', '--data', data], broken);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/exited \(code \d+\) before it was ready/);
    expect(fs.existsSync(data) ? fs.readdirSync(data) : 'absent').toBe('absent');
    expect(fs.existsSync(path.join(root, 'start'))).toBe(false); // mkdir -p'd by this run: removed
    expect(failed.stderr).toMatch(/removed what this deploy created/);

    await deployAndStop(['--nodes', '2', '--data', data]);
    const configs = fs.readdirSync(data).filter((f) => f.endsWith('.yaml')).sort();
    expect(configs).toEqual(['n0.yaml', 'n1.yaml']);
    const again = deployFailing(['--nodes', '2', '--data', data], broken);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toMatch(/removed what this deploy created/);
    expect(fs.readdirSync(data).filter((f) => f.endsWith('.yaml')).sort()).toEqual(configs); // an existing cluster is kept
    expect(fs.readdirSync(path.join(data, 'n0')).length).toBeGreaterThan(0);
  }, 90_000);
});
