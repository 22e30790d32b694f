import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../real/free-port';
import { formatNodeConfig, nodeConfigSchema } from '../../real/node-config';
import { startRealNode } from '../../real/node-process';
import { SECRET, tempDir, text } from './harness';

// Found by a review: `serve` installed its SIGINT/SIGTERM handlers only once the node had started, so a signal
// during a long write-ahead-log replay killed it abruptly (Node's default action), its LOCK left behind. The
// handlers are now installed first; a stop asked for during startup runs as soon as the node is up.

const BIN = path.resolve(__dirname, '../../bin/dynalab.js');
const root = tempDir('serve-signal');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

describe('serve: a signal while the node starts', () => {
  it('SIGTERM during WAL replay stops the node cleanly once it is up: exit 0, LOCK released, no ready line', async () => {
    const [http, tcp] = await freePorts(2);
    const address = { http: `127.0.0.1:${http}`, tcp: `127.0.0.1:${tcp}` };
    const input = { id: 'a', listen: address, dataDir: './a', secret: SECRET, members: [{ id: 'a', tcp: address.tcp }], n: 1, r: 1, w: 1, storage: { memtableMiB: 1024 } };
    const configFile = path.join(root, 'a.yaml');
    fs.writeFileSync(configFile, formatNodeConfig(input));
    const dataDir = path.join(root, 'a');

    // A write-ahead log that takes a while to replay: 100 000 small writes, never flushed (a large memtable).
    // About half a second of replay on the VM this was written on, between the LOCK being taken and ready.
    const writer = await startRealNode(nodeConfigSchema.parse({ ...input, dataDir }));
    const value = new Uint8Array(100).fill(7);
    for (let batch = 0; batch < 100_000; batch += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => new Promise<void>((resolve, reject) => {
        writer.node.put(new TextEncoder().encode(`k${batch + i}`), value, {}, (result) => (result.status === 'ok' ? resolve() : reject(new Error(result.error))));
      })));
    }
    await writer.stop();

    const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }));
    // The node has taken its LOCK (its pid in it): startup — the replay — is under way.
    const lockFile = path.join(dataDir, 'LOCK');
    const deadline = Date.now() + 30_000;
    while (!(fs.existsSync(lockFile) && fs.readFileSync(lockFile, 'utf8') === `${child.pid} ${os.hostname()}\n`)) {
      if (Date.now() > deadline) throw new Error(`the node never took its LOCK:\n${out}\n${err}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    // Only meaningful if the signal came before the node was up (else this is the ordinary clean stop).
    expect(out, 'the node was up before the signal (replay too fast to test here)').not.toMatch(/^ready /m);
    expect({ code, signal }, err).toEqual({ code: 0, signal: null });
    expect(err).toContain('[a] SIGTERM while starting: stopping once the node has started');
    expect(fs.existsSync(lockFile), 'LOCK released').toBe(false);

    // Nothing was lost: the log replays again on the next start.
    const again = await startRealNode(nodeConfigSchema.parse({ ...input, dataDir }));
    try {
      const read = await new Promise<Uint8Array[]>((resolve) => again.node.get(new TextEncoder().encode('k99999'), {}, (result) => resolve(result.status === 'ok' ? result.values : [])));
      expect(read.map(text)).toEqual([text(value)]);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
