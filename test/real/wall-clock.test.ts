import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/**
 * The wall clock's zero-delay timers are how the storage engine runs background flush and compaction steps.
 * They must keep the event loop turning: an unref'd setImmediate lets libuv block in poll until some other
 * event arrives, and a 1 GB compaction once took 518 s instead of 6 s. In a process with nothing else to keep
 * it alive, a chain of zero-delay timers must run to the end (with unref'd immediates the process exits first).
 * Delayed timers stay unref'd, so housekeeping never keeps a finished process alive.
 */
function runChild(script: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('WallClock', () => {
  it('zero-delay timers keep the loop running until the chain ends', () => {
    const run = runChild(`
      import { WallClock } from './real/wall-clock.ts';
      const clock = new WallClock();
      let steps = 0;
      const step = () => { if (++steps < 1000) clock.setTimer(0, step); else console.log('done', steps); };
      clock.setTimer(0, step);
    `);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('done 1000');
  });

  it('delayed timers do not keep a finished process alive', () => {
    const run = runChild(`
      import { WallClock } from './real/wall-clock.ts';
      new WallClock().setTimer(60_000_000, () => console.log('fired'));
      console.log('exiting');
    `);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('exiting');
  });

  it('a delayed timer marked keepAlive (pending work, e.g. a paused flush step) keeps the process until it fires', () => {
    const run = runChild(`
      import { WallClock } from './real/wall-clock.ts';
      new WallClock().setTimer(100_000, () => console.log('fired'), { keepAlive: true });
      console.log('waiting');
    `);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['waiting', 'fired']);
  });

  it('a deadline that passed while the loop was blocked runs after the data that arrived in time is read', async () => {
    // Found by a review: after a 2 s synchronous stretch a listing's deadline fired before the peers' replies,
    // already in the socket, were read, and the answer said the peers were missing.
    const net = await import('node:net');
    const { WallClock } = await import('../../real/wall-clock');
    const server = net.createServer((socket) => socket.end('reply'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const order: string[] = [];
      const socket = net.connect((server.address() as { port: number }).port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const clock = new WallClock();
      const done = new Promise<void>((resolve) => {
        socket.on('data', () => order.push('reply read'));
        clock.setTimer(20_000, () => {
          order.push('deadline');
          resolve();
        }, { keepAlive: true });
      });
      const until = Date.now() + 100; // the loop is busy past the deadline; the reply arrives meanwhile
      while (Date.now() < until) { /* block */ }
      await done;
      socket.destroy();
      expect(order).toEqual(['reply read', 'deadline']);
    } finally {
      server.close();
    }
  });

  it('a delayed timer cancelled after it fell due but before it ran does not run', async () => {
    const { WallClock } = await import('../../real/wall-clock');
    const clock = new WallClock();
    let ran = false;
    const id = clock.setTimer(1_000, () => (ran = true), { keepAlive: true });
    // Cancel it from a timer due at the same moment, queued after it: by then the first has fallen due.
    setTimeout(() => clock.cancelTimer(id), 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ran).toBe(false);
  });
});
