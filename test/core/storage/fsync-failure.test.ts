import { describe, expect, it } from 'vitest';
import { DiskError, type Disk } from '../../../core/env';
import { StorageEngine } from '../../../core/storage';
import { enc, World } from './world';

/** The world's disk, except that the first fsync of a WAL file reports EIO (the data may or may not be there). */
function failFirstLogSync(disk: Disk): Disk {
  let failed = false;
  return new Proxy(disk, {
    get(target, property) {
      if (property === 'sync') {
        return (name: string, done: (error: DiskError | null) => void): void => {
          if (failed || !name.endsWith('.log')) return target.sync(name, done);
          failed = true;
          target.sync(name, () => done(new DiskError('sync', name, 'injected fsync failure (EIO)')));
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * After an fsync fails the kernel may have dropped the pages it could not write and still report the next
 * fsync as a success ("fsyncgate"), so a later fsync proves nothing about the log before it. A write waiting
 * behind the failed fsync must therefore fail too — never be acknowledged by the next, successful-looking one.
 */
describe('a failed WAL fsync', () => {
  for (const soon of [false, true]) {
    it(`fails the writes queued behind it as well, not only its own batch (soon hook ${soon})`, () => {
      const world = new World(11);
      const disk = failFirstLogSync(world.disk);
      const hook = soon ? (callback: () => void): void => void world.clock.setTimer(0, callback) : undefined;
      const engine = StorageEngine.open({ disk, clock: world.clock, options: { syncWrites: true }, ...(hook ? { soon: hook } : {}) });
      const results: (string | null)[] = [];
      const record = (error: Error | null): void => void results.push(error === null ? null : error.message);
      engine.put(enc('a'), enc('1'), undefined, record);
      // Let the first fsync start, then queue a second write behind it.
      world.clock.setTimer(1, () => engine.put(enc('b'), enc('2'), undefined, record));
      world.sim.run({ maxEvents: 10_000 });
      expect(results).toHaveLength(2);
      expect(results[0]).toMatch(/injected fsync failure/);
      expect(results[1], 'the write behind the failed fsync').not.toBeNull();
    });
  }

  it('makes flush() report the failure instead of never calling back', () => {
    const world = new World(12);
    const engine = StorageEngine.open({ disk: failFirstLogSync(world.disk), clock: world.clock, options: { syncWrites: true } });
    let written: Error | null | undefined;
    engine.put(enc('a'), enc('1'), undefined, (error) => (written = error));
    world.sim.run({ maxEvents: 10_000 });
    expect(written?.message).toMatch(/injected fsync failure/);
    let flushed: Error | null | undefined;
    engine.flush((error) => (flushed = error));
    world.sim.run({ maxEvents: 10_000 });
    expect(flushed, 'flush called back').not.toBeUndefined();
    expect(flushed?.message).toMatch(/injected fsync failure/);
  });
});
