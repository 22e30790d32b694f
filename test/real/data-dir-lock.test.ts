import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynalabClient } from '../../real/client';
import { DataDirLockedError, lockDataDir } from '../../real/data-dir-lock';
import { freePorts } from '../../real/free-port';
import { formatNodeConfig } from '../../real/node-config';
import { SECRET, tempDir, text } from './harness';

// One node per data directory: a second process on a directory in use (a copied config with other ports) is
// refused before it touches a file, while the first keeps serving; a LOCK left by a kill -9 is taken over.

const BIN = path.resolve(__dirname, '../../bin/dynalab.js');
const root = tempDir('lock');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  /** Resolves with the ready line, or rejects with the output if the process exits first. */
  ready: Promise<string>;
  exited: Promise<number | null>;
  output: () => string;
}

function serve(configFile: string): Served {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('ready '));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
  ready.catch(() => {}); // a test that expects the exit awaits `exited` instead
  return { child, ready, exited, output: () => `${out}\n${err}` };
}

/** A one-node cluster's config on fresh random ports, with `dataDir` absolute (as a copied config would keep it). */
async function writeConfig(file: string, dataDir: string): Promise<string> {
  const [http, tcp] = await freePorts(2);
  const address = { http: `127.0.0.1:${http}`, tcp: `127.0.0.1:${tcp}` };
  fs.writeFileSync(file, formatNodeConfig({ id: 'a', listen: address, dataDir, secret: SECRET, members: [{ id: 'a', ...address }], n: 1, r: 1, w: 1 }));
  return address.http;
}

/** The pid of a process that has exited (and been reaped): what a kill -9 leaves in a LOCK file. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('data directory lock', () => {
  it('refuses a second serve on a data dir in use, and the first keeps every acknowledged write', async () => {
    const dataDir = path.join(root, 'shared');
    const firstHttp = await writeConfig(path.join(root, 'first.yaml'), dataDir);
    await writeConfig(path.join(root, 'copy.yaml'), dataDir); // other ports, same data dir
    const first = serve(path.join(root, 'first.yaml'));
    await first.ready;
    const client = new DynalabClient(firstHttp);
    await client.put('before', 'acknowledged');

    const second = serve(path.join(root, 'copy.yaml'));
    const outcome = await Promise.race([second.exited, second.ready.then(() => 'serving', () => 'exited')]);
    expect(outcome, `the second node started on the same data dir:\n${second.output()}`).not.toBe('serving');
    const code = await second.exited;
    expect(code, second.output()).not.toBe(0);
    expect(fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8')).toBe(`${first.child.pid} ${os.hostname()}\n`);
    const lockFile = path.join(fs.realpathSync(dataDir), 'LOCK');
    expect(second.output()).toContain(`data dir ${fs.realpathSync(dataDir)} is in use by process ${first.child.pid} (its LOCK file); ` +
      `stop that node first — if no such node runs, delete ${lockFile}`);
    expect(second.output()).not.toMatch(/^ready /m);

    // The first node still serves, and its data survive a restart.
    await client.put('after', 'also acknowledged');
    expect((await client.get('before')).values.map(text)).toEqual(['acknowledged']);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false); // released on a clean stop
    const again = serve(path.join(root, 'first.yaml'));
    await again.ready;
    expect((await client.get('before')).values.map(text)).toEqual(['acknowledged']);
    expect((await client.get('after')).values.map(text)).toEqual(['also acknowledged']);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 60_000);

  it('takes over a LOCK whose process is gone (a kill -9 leftover), on restart at once', async () => {
    const dataDir = path.join(root, 'killed');
    const httpAddress = await writeConfig(path.join(root, 'killed.yaml'), dataDir);
    const first = serve(path.join(root, 'killed.yaml'));
    await first.ready;
    await new DynalabClient(httpAddress).put('k', 'v');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8')).toBe(`${first.child.pid} ${os.hostname()}\n`);
    const restarted = serve(path.join(root, 'killed.yaml'));
    await restarted.ready;
    expect(fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8')).toBe(`${restarted.child.pid} ${os.hostname()}\n`);
    expect((await new DynalabClient(httpAddress).get('k')).values.map(text)).toEqual(['v']);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  }, 60_000);

  it('in one process: refuses a directory locked here, by a live holder or recently from another host; takes over the rest; a holder hears when it is taken', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-lock-unit-'));
    try {
      const held = await lockDataDir(dir);
      await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
      held.release();
      held.release(); // idempotent
      expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);

      const lockFile = path.join(fs.realpathSync(dir), 'LOCK');
      // Alive and holding the LOCK open, as a node does for its whole life: refused.
      fs.writeFileSync(lockFile, '');
      const holder = spawn(process.execPath, ['-e', "require('fs').openSync(process.argv[1], 'r'); console.log('open'); setInterval(() => {}, 1000)", lockFile], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        await new Promise((resolve) => holder.stdout!.once('data', resolve));
        fs.writeFileSync(lockFile, `${holder.pid} ${os.hostname()}\n`);
        await expect(lockDataDir(dir)).rejects.toThrow(`is in use by process ${holder.pid} (its LOCK file)`);
      } finally {
        holder.kill('SIGKILL');
      }
      // Alive but not holding it — the pid was reused after the holder died (the process running vitest here): taken over.
      fs.writeFileSync(lockFile, `${process.ppid} ${os.hostname()}\n`);
      const reused = await lockDataDir(dir);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
      reused.release();

      // Another host: refused while its holder keeps touching the file, taken over once it has not for a while.
      fs.writeFileSync(lockFile, `${process.ppid} some-other-host\n`);
      await expect(lockDataDir(dir)).rejects.toThrow(/in use by process \d+ on host some-other-host \(its LOCK file, touched 0 s ago; one untouched for 30 s by this host's clock is taken over\)/);
      // Touched by a host whose clock runs ahead: still refused (the safe side), saying why the wait is longer.
      const ahead = new Date(Date.now() + 120_000);
      fs.utimesSync(lockFile, ahead, ahead);
      await expect(lockDataDir(dir)).rejects.toThrow(/touched 120 s in this host's future — the two hosts' clocks differ; one untouched for 30 s/);
      const longAgo = new Date(Date.now() - 60_000);
      fs.utimesSync(lockFile, longAgo, longAgo);
      const fromOtherHost = await lockDataDir(dir);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
      fromOtherHost.release();

      fs.writeFileSync(lockFile, `${await deadPid()} ${os.hostname()}\n`);
      const takenOver = await lockDataDir(dir);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
      takenOver.release();

      // A holder whose LOCK is taken over hears of it within about a second (a node then exits at once).
      const lostReasons: string[] = [];
      const victim = await lockDataDir(dir, { onLost: (reason) => lostReasons.push(reason) });
      fs.rmSync(lockFile);
      fs.writeFileSync(lockFile, `1234 some-other-host\n`);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(lostReasons).toHaveLength(1);
      expect(lostReasons[0]).toMatch(/is no longer this node's: its LOCK file .* was removed by another process/);
      victim.release();
      expect(fs.readFileSync(lockFile, 'utf8'), 'release leaves the new holder\'s file alone').toBe('1234 some-other-host\n');
      fs.rmSync(lockFile);

      // The holder touches its LOCK, so another host can tell it is alive.
      const beating = await lockDataDir(dir, { heartbeatMs: 20 });
      fs.utimesSync(lockFile, longAgo, longAgo);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(Date.now() - fs.statSync(lockFile).mtimeMs).toBeLessThan(5_000);
      beating.release();

      fs.writeFileSync(lockFile, ''); // a crash between creating the file and writing it
      const started = Date.now();
      const afterEmpty = await lockDataDir(dir);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      afterEmpty.release();
      expect(fs.existsSync(lockFile)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
