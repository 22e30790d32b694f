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

/** The world's disk, except that the first create of a file ending in `suffix` (after `skip`) fails with EIO. */
function failFirstCreate(disk: Disk, suffix: string, skip: string): Disk {
  let failed = false;
  return new Proxy(disk, {
    get(target, property) {
      if (property === 'create') {
        return (name: string): void => {
          if (!failed && name.endsWith(suffix) && name !== skip) {
            failed = true;
            throw new DiskError('create', name, 'injected EIO');
          }
          target.create(name);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A file that cannot be created when the memtable rotates (its new WAL) or a flush starts (its table): the engine
 * fails, naming the file, every write gets its answer, and what was acknowledged survives a power cut. Before,
 * the throw escaped put() (its callback never ran, yet the write was applied), or left the flush flag set so
 * that no flush ever ran again and writes hung with no error (found by a storage review).
 */
describe('a file that cannot be created', () => {
  for (const [what, suffix] of [['the rotated WAL', '.log'], ["a flush's table", '.sst']] as const) {
    it(`${what}: the engine fails naming it; every write is answered; acknowledged ones survive`, () => {
      const world = new World(9);
      const engine = StorageEngine.open({ disk: failFirstCreate(world.disk, suffix, '000001.log'), clock: world.clock, options: { memtableBytes: 1024, maxImmutableMemtables: 2 } });
      const outcome = new Map<number, Error | null>();
      for (let i = 0; i < 60; i++) {
        expect(() => engine.put(enc(`key-${i}`), enc('v'.repeat(100)), undefined, (error) => outcome.set(i, error))).not.toThrow();
        world.sim.run();
      }
      expect(outcome.size).toBe(60);
      expect(engine.error?.message).toMatch(new RegExp(`create failed on '0+\\d+\\${suffix}'`));
      const acked = [...outcome].filter(([, error]) => error === null).map(([i]) => i);
      expect(acked.length).toBeGreaterThan(0);
      expect(acked.length).toBeLessThan(60);
      world.crash('drop-unsynced');
      const reopened = world.open({ memtableBytes: 1024 });
      for (const i of acked) expect(reopened.get(enc(`key-${i}`)), `key-${i}`).toBeDefined();
    });
  }
});
