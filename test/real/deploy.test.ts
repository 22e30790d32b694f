import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynalabClient } from '../../real/client';
import { SERVER_NODE_FLAGS } from '../../real/local-cluster';
import { tempDir, text } from './harness';

// `dynalab deploy` end to end, as a user runs it: child processes on loopback, endpoints printed, SIGTERM
// stops every node, and deploying again on the same data directory recovers what was written.

const BIN = path.resolve(__dirname, '../../bin/dynalab.js');
const root = tempDir('deploy');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

interface Deployed {
  child: ChildProcess;
  endpoints: string[];
  output: () => string;
  exited: Promise<number | null>;
}

function deploy(): Promise<Deployed> {
  const child = spawn(process.execPath, [BIN, 'deploy', '--nodes', '3', '--data', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deploy not ready in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ctrl-C stops the cluster')) {
        clearTimeout(timer);
        const endpoints = [...out.matchAll(/^ {2}n\d+ {2}(http:\/\/127\.0\.0\.1:\d+)/gm)].map((m) => m[1]!);
        resolve({ child, endpoints, output: () => `${out}\n${err}`, exited });
      }
    });
    void exited.then((code) => reject(new Error(`deploy exited (${code}) before it was ready:\n${out}\n${err}`)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('dynalab deploy', () => {
  it('starts 3 nodes, stops them all on SIGTERM, and recovers on the same data dir', async () => {
    const first = await deploy();
    expect(first.endpoints).toHaveLength(3);
    expect(fs.readdirSync(root).filter((f) => f.endsWith('.yaml')).sort()).toEqual(['n0.yaml', 'n1.yaml', 'n2.yaml']);
    const clients = first.endpoints.map((e) => new DynalabClient(e));
    await clients[0]!.put('user:42:avatar', new Uint8Array([0xff, 0xd8, 0xff, 0xe0]));
    await clients[1]!.put('greeting', 'hello');
    const got = await clients[2]!.get('user:42:avatar', { r: 2 });
    expect([...got.values[0]!]).toEqual([0xff, 0xd8, 0xff, 0xe0]);
    const statuses = await Promise.all(clients.map((c) => c.status()));
    const pids = statuses.map((s) => s.pid as number);
    // Every node runs with the server heap flags (a mark-compact every ~0.3 s under load without them).
    for (const s of statuses) expect(s.nodeFlags).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS]));

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(first.output()).toMatch(/all nodes stopped/);

    const second = await deploy();
    expect(second.output()).toMatch(/existing cluster: recovering/);
    expect(second.endpoints).toEqual(first.endpoints);
    const again = second.endpoints.map((e) => new DynalabClient(e));
    expect((await again[1]!.get('greeting', { r: 2 })).values.map(text)).toEqual(['hello']);
    expect((await again[0]!.list('')).keys).toEqual(['greeting', 'user:42:avatar']);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 90_000);
});
