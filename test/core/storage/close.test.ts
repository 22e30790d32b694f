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

  for (const syncWrites of [true, false]) {
    it(`writes still stalled behind a full memtable when close is called are refused, not applied unsynced (syncWrites ${syncWrites})`, () => {
      const lost: string[] = [];
      for (let seed = 1; seed <= 40; seed++) {
        const world = new World(seed);
        // One immutable memtable at most: a burst of writes stalls behind the flush, and the flush's install
        // (which drains the stall) can land while close is waiting for its fsyncs.
        const options = { ...smallOptions('leveled'), memtableBytes: 600, maxImmutableMemtables: 1, syncWrites };
        const engine = world.open(options, !syncWrites);
        const n = 20 + seed;
        const outcome: (Error | null | undefined)[] = new Array(n).fill(undefined);
        for (let i = 0; i < n; i++) engine.put(enc(`k${i}`), enc(`v${i}-${'x'.repeat(60)}`), undefined, (error) => (outcome[i] = error));
        let closed: Error | null | undefined;
        engine.close((error) => (closed = error));
        while (closed === undefined) {
          if (world.sim.run({ maxEvents: 1 }) === 0 && closed === undefined) break;
        }
        expect(closed, `seed ${seed}`).toBe(null);
        // Every write has its answer by the time close calls back: done, or refused because the store closed.
        for (let i = 0; i < n; i++) {
          const o = outcome[i];
          if (o !== null) expect(o?.name, `seed ${seed}: write ${i} answered ${String(o)}`).toBe('StorageClosedError');
        }
        world.crash('drop-unsynced');
        const reopened = world.open(options, !syncWrites);
        const missing = outcome.flatMap((o, i) => (o === null && dec(reopened.get(enc(`k${i}`))) !== `v${i}-${'x'.repeat(60)}` ? [i] : []));
        if (missing.length > 0) lost.push(`seed ${seed}: acknowledged writes ${missing.join(',')} lost`);
      }
      expect(lost).toEqual([]);
    });
  }

  it('logs replayed at open and not yet flushed are synced by close too (unsynced writes, then a process crash)', () => {
    const lost: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const world = new World(seed);
      const options = { ...smallOptions('leveled'), memtableBytes: 1 << 20, syncWrites: false };
      const first = world.open(options, true);
      const acked: number[] = [];
      for (let i = 0; i < 10; i++) first.put(enc(`k${i}`), enc(`v${i}`), undefined, (error) => error === null && acked.push(i));
      world.sim.run({ maxEvents: 5 });
      // The process dies, the machine does not: the log (never fsynced) is replayed by the next process.
      world.processCrash();
      const second = world.open(options, true);
      let closed: Error | null | undefined;
      second.close((error) => (closed = error));
      while (closed === undefined) {
        if (world.sim.run({ maxEvents: 1 }) === 0 && closed === undefined) break;
      }
      expect(closed, `seed ${seed}`).toBe(null);
      world.crash('drop-unsynced');
      const third = world.open(options, true);
      const missing = acked.filter((i) => dec(third.get(enc(`k${i}`))) !== `v${i}`);
      expect(acked.length, `seed ${seed}`).toBeGreaterThan(0);
      if (missing.length > 0) lost.push(`seed ${seed}: acknowledged writes ${missing.join(',')} lost`);
    }
    expect(lost).toEqual([]);
  });
});
