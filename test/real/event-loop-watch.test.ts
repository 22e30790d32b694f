import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLoopWatch } from '../../real/event-loop-watch';
import { FileDisk } from '../../real/file-disk';

const busyWait = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Holding the event loop on purpose.
  }
};
const turn = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopWatch', () => {
  it('logs a stall with its length and context, counts it, and starts a fresh window on reset', async () => {
    const lines: string[] = [];
    const watch = new EventLoopWatch({ stallMs: 100, log: (line) => lines.push(line), describe: () => 'flushing' });
    try {
      await turn(50);
      busyWait(250);
      await turn(60); // let the stall timer run once after the blocked turn
      expect(lines.length).toBeGreaterThanOrEqual(1);
      const match = /^event loop stalled (\d+) ms \(flushing\)$/.exec(lines[0]!);
      expect(match, lines[0]).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThanOrEqual(100);
      const delay = watch.delay();
      expect(delay.stalls).toBe(lines.length);
      expect(delay.maxMs).toBeGreaterThanOrEqual(100);
      watch.reset();
      expect(watch.delay().stalls).toBe(0);
    } finally {
      watch.stop();
    }
  });

  it('refuses non-positive thresholds, naming them', () => {
    expect(() => new EventLoopWatch({ stallMs: 0, log: () => {} })).toThrow(/stallMs \(0\)/);
  });
});

describe('FileDisk slow-sync report', () => {
  it('reports each fdatasync at or over slowSyncMs, naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-slow-sync-'));
    const slow: [string, number][] = [];
    const disk = new FileDisk(dir, { slowSyncMs: 0, onSlowSync: (name, ms) => slow.push([name, ms]) });
    try {
      disk.create('000001.log');
      disk.append('000001.log', new Uint8Array(4096));
      await new Promise<void>((resolve, reject) => disk.sync('000001.log', (error) => (error ? reject(error) : resolve())));
      expect(slow).toHaveLength(1);
      expect(slow[0]![0]).toBe('000001.log');
      expect(slow[0]![1]).toBeGreaterThanOrEqual(0);
      const quiet = new FileDisk(dir, { slowSyncMs: 60_000, onSlowSync: (name, ms) => slow.push([name, ms]) });
      await new Promise<void>((resolve, reject) => quiet.sync('000001.log', (error) => (error ? reject(error) : resolve())));
      expect(slow).toHaveLength(1);
      quiet.close();
    } finally {
      disk.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
