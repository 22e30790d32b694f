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
});
