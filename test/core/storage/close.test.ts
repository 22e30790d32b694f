import { describe, expect, it } from 'vitest';
import { dec, enc, smallOptions, World } from './world';

/**
 * A clean close makes everything written before it durable ("a clean shutdown loses nothing"): power may fail
 * the moment close calls back. Writes made just before close can sit in several logs — the current one and
 * older ones whose memtables are sealed but not yet flushed — and every one of those logs must be synced
 * before close reports done, whether syncWrites is on (their own fsyncs may still be running or, with a soon
 * hook, not even started) or off (nothing ever fsynced them).
 */
describe('close', () => {
  for (const syncWrites of [true, false]) {
    for (const soon of [true, false]) {
      it(`every write made before close survives a power loss right after close calls back (syncWrites ${syncWrites}, soon hook ${soon})`, () => {
        const lost: string[] = [];
        for (let seed = 1; seed <= 40; seed++) {
          const world = new World(seed);
          // Small memtables: the writes below span several logs; no stalls, so every write is applied at once.
          const options = { ...smallOptions('leveled'), memtableBytes: 3000, maxImmutableMemtables: 50, syncWrites };
          const engine = world.open(options, soon);
          const n = 30 + seed;
          const errors: Error[] = [];
          for (let i = 0; i < n; i++) {
            engine.put(enc(`k${i}`), enc(`v${i}-${'x'.repeat(50)}`), undefined, (error) => {
              if (error !== null) errors.push(error);
            });
          }
          let closed: Error | null | undefined;
          engine.close((error) => (closed = error));
          while (closed === undefined) {
            if (world.sim.run({ maxEvents: 1 }) === 0 && closed === undefined) break;
          }
          expect(closed, `seed ${seed}: close calls back without error`).toBe(null);
          world.crash('drop-unsynced');
          const reopened = world.open(options, soon);
          let missing = 0;
          for (let i = 0; i < n; i++) if (dec(reopened.get(enc(`k${i}`))) !== `v${i}-${'x'.repeat(50)}`) missing++;
          if (missing > 0) lost.push(`seed ${seed}: ${missing} of ${n} writes lost`);
          expect(errors).toEqual([]);
        }
        expect(lost).toEqual([]);
      });
    }
  }
});
