import { describe, expect, it } from 'vitest';
import { EventLoopWatch } from '../../real/event-loop-watch';

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
      expect(delay.p50Ms, 'an idle loop is not 10 ms late').toBeLessThan(delay.maxMs);
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
