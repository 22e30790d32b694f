import { describe, expect, it } from 'vitest';
import { DiskError, type Disk, type SyncCallback } from '../../../core/env';
import { StorageEngine, WriteOutcomeUnknownError } from '../../../core/storage';
import { dec, enc, World } from './world';

/**
 * Found by a review: open replays every live log and serves its records at once, but a process crash keeps the
 * page cache, so a replayed record may never have been fsynced (its fsync was in flight when the process died).
 * Nothing made it durable before the reopened engine acknowledged new writes: a power loss then lost the
 * replayed value while a write acknowledged after it had been served survived — history with a hole.
 */
describe('records replayed at open are durable before any new write is acknowledged', () => {
  for (const soon of [false, true]) {
    it(`a write acknowledged after reopen survives a power loss only together with what was replayed (soon hook ${soon})`, () => {
      for (let seed = 1; seed <= 10; seed++) {
        const world = new World(seed);
        const options = { syncWrites: true };
        let engine = world.open(options, soon);
        world.await((done) => engine.put(enc('a'), enc('A1'), undefined, done));
        // A2 reaches the page cache; its fsync is still in flight when the process dies.
        engine.put(enc('a'), enc('A2'), undefined, () => {});
        // With a soon hook the record is appended (and its fsync started) at the end of the turn: one timer.
        if (soon) world.sim.run({ maxEvents: 1 });
        world.processCrash();
        engine = world.open(options, soon);
        expect(dec(engine.get(enc('a'))), `seed ${seed}: replayed`).toBe('A2');
        let acked = false;
        engine.put(enc('b'), enc('B'), undefined, (error) => {
          expect(error).toBe(null);
          acked = true;
        });
        // Power fails the moment B is acknowledged.
        while (!acked && world.sim.run({ maxEvents: 1 }) > 0) { /* step */ }
        expect(acked, `seed ${seed}: B acknowledged`).toBe(true);
        world.crash('drop-unsynced');
        engine = world.open(options, soon);
        expect(dec(engine.get(enc('b'))), `seed ${seed}: b`).toBe('B');
        expect(dec(engine.get(enc('a'))), `seed ${seed}: a (served as current before B was acknowledged)`).toBe('A2');
      }
    });
  }

  it('the same holds without syncWrites: an acknowledgement never precedes the replayed logs\' fsync', () => {
    const world = new World(3);
    let engine = world.open({ syncWrites: false });
    engine.put(enc('a'), enc('A1'), undefined, () => {});
    world.processCrash();
    // The replayed log was never fsynced (nor its directory entry): a power loss right after reopen loses it.
    engine = world.open({ syncWrites: false });
    let acked = false;
    engine.put(enc('b'), enc('B'), undefined, () => (acked = true));
    expect(acked, 'held until the replayed log is durable').toBe(false);
    while (!acked && world.sim.run({ maxEvents: 1 }) > 0) { /* step */ }
    expect(acked).toBe(true);
    world.crash('drop-unsynced');
    engine = world.open({ syncWrites: false });
    expect(dec(engine.get(enc('a')))).toBe('A1');
  });

  it('a failed fsync of a replayed log fails the engine: writes held behind it are never acknowledged', () => {
    const world = new World(5);
    let engine = world.open({ syncWrites: true });
    world.await((done) => engine.put(enc('a'), enc('A1'), undefined, done));
    engine.put(enc('a'), enc('A2'), undefined, () => {});
    world.processCrash();
    const replayed = world.disk.list().filter((name) => name.endsWith('.log'));
    expect(replayed.length).toBeGreaterThan(0);
    engine = StorageEngine.open({ disk: failingSyncOf(world.disk, new Set(replayed)), clock: world.clock, options: { syncWrites: true } });
    let result: Error | null | undefined;
    engine.put(enc('b'), enc('B'), undefined, (error) => (result = error));
    world.sim.run();
    expect(result).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(engine.writeFailure).toBeInstanceOf(DiskError);
  });
});

/** The disk, except that fsyncs of the named files report EIO. */
function failingSyncOf(disk: Disk, names: ReadonlySet<string>): Disk {
  return new Proxy(disk, {
    get(target, property, receiver) {
      if (property === 'sync') {
        return (name: string, done: SyncCallback): void =>
          names.has(name) ? target.sync(name, () => done(new DiskError('sync', name, 'EIO (injected)'))) : target.sync(name, done);
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
