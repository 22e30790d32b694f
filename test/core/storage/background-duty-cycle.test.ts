import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../core/env';
import { StorageEngine } from '../../../core/storage';
import { enc, World } from './world';

/**
 * The world's clock, except that every reading is 1 ms later than the one before: as if each background
 * step took 1 ms of thread time (simulated steps take none, so the duty cycle would have nothing to measure).
 */
function tickingClock(world: World): Clock {
  let readings = 0;
  return new Proxy(world.clock, {
    get(target, property) {
      if (property === 'nowMicros') return (): number => target.nowMicros() + 1000 * readings++;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Virtual ms from asking for a flush of ~600 KiB (16 KiB steps) until it is done. */
function flushMillis(dutyCycle: number, seed: number): number {
  const world = new World(seed);
  const engine = StorageEngine.open({
    disk: world.disk,
    clock: tickingClock(world),
    options: { memtableBytes: 4 << 20, backgroundStepBytes: 16 * 1024, backgroundDutyCycle: dutyCycle, tableSyncBytes: 0, autoCompaction: false, syncWrites: false },
  });
  const value = new Uint8Array(2048).fill(1);
  for (let i = 0; i < 300; i++) engine.put(enc(`k${String(i).padStart(4, '0')}`), value, undefined, () => {});
  world.sim.run({ maxEvents: 100_000 });
  const start = world.sim.nowMicros;
  world.await((done) => engine.flush(done));
  return (world.sim.nowMicros - start) / 1000;
}

describe('background duty cycle', () => {
  it('after a step that ran t, the next waits t × (1/share − 1): ~40 steps of 1 ms at 0.25 take ≥ 120 ms', () => {
    const backToBack = flushMillis(1, 31);
    const quarter = flushMillis(0.25, 31);
    expect(backToBack).toBeLessThan(20);
    expect(quarter).toBeGreaterThan(100);
  });

  it('rejects a share outside (0, 1], naming the option', () => {
    const world = new World(32);
    expect(() => world.open({ backgroundDutyCycle: 0 })).toThrow(/backgroundDutyCycle must be in \(0, 1\]/);
    expect(() => world.open({ backgroundDutyCycle: 1.5 })).toThrow(/backgroundDutyCycle/);
  });

  it('a write that stalls behind a paused flush ends the pause: the flush runs back to back until it is through', () => {
    const world = new World(33);
    const options = { memtableBytes: 64 * 1024, maxImmutableMemtables: 2, backgroundStepBytes: 4 * 1024, backgroundDutyCycle: 0.01, tableSyncBytes: 0, autoCompaction: false, syncWrites: false };
    const engine = StorageEngine.open({ disk: world.disk, clock: tickingClock(world), options });
    const value = new Uint8Array(1024).fill(2);
    const put = (i: number, done: () => void = () => {}): void => engine.put(enc(`k${String(i).padStart(4, '0')}`), value, undefined, done);
    // The first memtable fills and seals; its flush starts and, after each ~1 ms step, pauses ~99 ms.
    for (let i = 0; i < 70; i++) put(i);
    world.sim.run({ untilMicros: world.sim.nowMicros + 20_000 });
    expect(engine.stats().flushes, 'the flush is still under way, paused').toBe(0);
    // Fill the second memtable; the next write stalls behind the paused flush.
    for (let i = 70; i < 140; i++) put(i);
    let ackedAtMicros = -1;
    const stalledAtMicros = world.sim.nowMicros;
    put(140, () => (ackedAtMicros = world.sim.nowMicros));
    world.sim.run({ maxEvents: 100_000 });
    expect(engine.stats().writeStalls).toBeGreaterThan(0);
    expect(ackedAtMicros).toBeGreaterThanOrEqual(0);
    // Waiting out the pause would take ~80 ms more; resumed at once, the rest of the flush takes no virtual time.
    expect((ackedAtMicros - stalledAtMicros) / 1000).toBeLessThan(10);
  });

  it('a stalled write keeps copies: the caller may reuse its key and value buffers as soon as put returns', () => {
    const world = new World(35);
    const options = { memtableBytes: 64 * 1024, maxImmutableMemtables: 2, backgroundStepBytes: 4 * 1024, backgroundDutyCycle: 0.01, tableSyncBytes: 0, autoCompaction: false, syncWrites: false };
    const engine = StorageEngine.open({ disk: world.disk, clock: tickingClock(world), options });
    const filler = new Uint8Array(1024).fill(2);
    for (let i = 0; i < 140; i++) engine.put(enc(`k${String(i).padStart(4, '0')}`), filler, undefined, () => {});
    const stallsBefore = engine.stats().writeStalls;
    const key = enc('reused-key');
    const value = new Uint8Array(1024).fill(9);
    engine.put(key, value, undefined, () => {});
    expect(engine.stats().writeStalls, 'this write waits behind the flushes').toBe(stallsBefore + 1);
    // Queued, and already what a read sees: the newest state of the key.
    expect(engine.get(enc('reused-key'))).toEqual(new Uint8Array(1024).fill(9));
    key.fill(0x41); // the caller reuses its buffers at once
    value.fill(0);
    world.sim.run({ maxEvents: 100_000 });
    expect(engine.get(enc('reused-key'))).toEqual(new Uint8Array(1024).fill(9));
    expect(engine.get(key)).toBeUndefined();
  });

  it('steps stop pausing while level 0 holds twice its compaction trigger: the compaction debt cannot grow', () => {
    // Six flushed tables in level 0 (trigger 3): the compaction that follows runs back to back.
    const compactionMillis = (l0Tables: number): number => {
      const world = new World(34);
      const options = { memtableBytes: 1 << 20, l0CompactionTrigger: 3, backgroundStepBytes: 4 * 1024, backgroundDutyCycle: 0.01, tableSyncBytes: 0, autoCompaction: false, syncWrites: false };
      const engine = StorageEngine.open({ disk: world.disk, clock: tickingClock(world), options });
      const value = new Uint8Array(1024).fill(3);
      for (let t = 0; t < l0Tables; t++) {
        for (let i = 0; i < 8; i++) engine.put(enc(`k${String(i).padStart(3, '0')}`), value, undefined, () => {});
        world.await((done) => engine.flush(done));
      }
      const start = world.sim.nowMicros;
      world.await((done) => engine.compact(done));
      return (world.sim.nowMicros - start) / 1000;
    };
    expect(compactionMillis(6), 'six tables: behind, back to back').toBeLessThan(50);
    expect(compactionMillis(5), 'five tables: paused between steps').toBeGreaterThan(50);
  });
});
