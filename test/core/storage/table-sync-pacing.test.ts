import { describe, expect, it } from 'vitest';
import { DiskError, type Disk } from '../../../core/env';
import { StorageEngine, type StorageOptions } from '../../../core/storage';
import { dec, enc, World } from './world';

/**
 * The world's disk, watched: for each SSTable, the bytes appended between consecutive fsyncs (the dirty data
 * a sync had to write back), and optionally an injected EIO on the n-th fsync of a table.
 */
function watchedDisk(disk: Disk, failTableSyncNumber = 0): { disk: Disk; dirtyAtSync: Map<string, number[]>; failAfter: (syncs: number) => void } {
  const dirtyAtSync = new Map<string, number[]>();
  const dirty = new Map<string, number>();
  let tableSyncs = 0;
  let failAt = failTableSyncNumber;
  const watched = new Proxy(disk, {
    get(target, property) {
      if (property === 'append') {
        return (name: string, bytes: Uint8Array): void => {
          if (name.endsWith('.sst')) dirty.set(name, (dirty.get(name) ?? 0) + bytes.length);
          target.append(name, bytes);
        };
      }
      if (property === 'sync') {
        return (name: string, done: (error: DiskError | null) => void): void => {
          if (!name.endsWith('.sst')) return target.sync(name, done);
          const list = dirtyAtSync.get(name) ?? [];
          list.push(dirty.get(name) ?? 0);
          dirtyAtSync.set(name, list);
          dirty.set(name, 0);
          tableSyncs++;
          if (tableSyncs === failAt) return target.sync(name, () => done(new DiskError('sync', name, 'injected fsync failure (EIO)')));
          target.sync(name, done);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { disk: watched, dirtyAtSync, failAfter: (syncs) => void (failAt = tableSyncs + syncs) };
}

const KiB = 1024;
const base: Partial<StorageOptions> = { memtableBytes: 1024 * KiB, backgroundStepBytes: 16 * KiB, autoCompaction: false, syncWrites: false };

/** Writes ~600 KiB (300 values of 2 KiB) and flushes them into one table. */
function writeAndFlush(world: World, engine: StorageEngine): void {
  const value = new Uint8Array(2 * KiB).fill(7);
  for (let i = 0; i < 300; i++) engine.put(enc(`k${String(i).padStart(4, '0')}`), value, undefined, () => {});
  world.await((done) => engine.flush(done));
}

describe('SSTable writeback pacing (tableSyncBytes)', () => {
  it('syncs a table being flushed every ~tableSyncBytes, so no sync has much more than that to write', () => {
    const world = new World(21);
    const { disk, dirtyAtSync } = watchedDisk(world.disk);
    const engine = StorageEngine.open({ disk, clock: world.clock, options: { ...base, tableSyncBytes: 128 * KiB } });
    writeAndFlush(world, engine);
    expect(dirtyAtSync.size, 'one table flushed').toBe(1);
    const dirtyList = [...dirtyAtSync.values()][0]!;
    const tableBytes = dirtyList.reduce((a, b) => a + b, 0);
    expect(tableBytes).toBeGreaterThan(550 * KiB);
    expect(dirtyList.length, `syncs of a ${tableBytes}-byte table`).toBeGreaterThanOrEqual(4);
    // The interval, plus the 64 KiB chunk the builder appends at a time, plus one 16 KiB step written while
    // the previous sync was still running.
    for (const bytes of dirtyList) expect(bytes).toBeLessThanOrEqual(128 * KiB + 64 * KiB + 20 * KiB);
    expect(dec(engine.get(enc('k0123')))).toBe(dec(new Uint8Array(2 * KiB).fill(7)));
  });

  it('with tableSyncBytes 0 syncs a flushed table once, when it is complete', () => {
    const world = new World(22);
    const { disk, dirtyAtSync } = watchedDisk(world.disk);
    const engine = StorageEngine.open({ disk, clock: world.clock, options: { ...base, tableSyncBytes: 0 } });
    writeAndFlush(world, engine);
    expect([...dirtyAtSync.values()].map((list) => list.length)).toEqual([1]);
  });

  it('a failed pacing fsync fails the flush and loses nothing acknowledged: the data is still in the WAL', () => {
    const world = new World(23);
    const { disk } = watchedDisk(world.disk, 2);
    const engine = StorageEngine.open({ disk, clock: world.clock, options: { ...base, tableSyncBytes: 128 * KiB, syncWrites: true } });
    const value = new Uint8Array(2 * KiB).fill(9);
    let acknowledged = 0;
    for (let i = 0; i < 300; i++) engine.put(enc(`k${String(i).padStart(4, '0')}`), value, undefined, (error) => void (error === null && acknowledged++));
    world.sim.run({ maxEvents: 1_000_000 });
    expect(acknowledged).toBe(300);
    let flushed: Error | null | undefined;
    engine.flush((error) => (flushed = error));
    world.sim.run({ maxEvents: 1_000_000 });
    expect(flushed?.message).toMatch(/injected fsync failure/);
    // Power loss, then a fresh engine on the surviving disk: every acknowledged write is there.
    world.crash('drop-unsynced');
    const reopened = StorageEngine.open({ disk: world.disk, clock: world.clock, options: { ...base, tableSyncBytes: 128 * KiB } });
    for (let i = 0; i < 300; i++) expect(reopened.get(enc(`k${String(i).padStart(4, '0')}`))?.length, `k${i}`).toBe(2 * KiB);
  });

  it('rejects a negative tableSyncBytes with a message naming it', () => {
    const world = new World(24);
    expect(() => world.open({ tableSyncBytes: -1 })).toThrow(/tableSyncBytes must be ≥ 0/);
  });

  it('a failed pacing fsync during a compaction fails it and keeps its inputs: every key still reads back after a crash', () => {
    const world = new World(25);
    const { disk, failAfter } = watchedDisk(world.disk);
    const options = { ...base, memtableBytes: 256 * KiB, tableSyncBytes: 32 * KiB, syncWrites: true };
    const engine = StorageEngine.open({ disk, clock: world.clock, options });
    const value = new Uint8Array(2 * KiB).fill(4);
    const key = (i: number): Uint8Array => enc(`k${String(i).padStart(5, '0')}`);
    for (let round = 0; round < 3; round++) {
      for (let i = round; i < 300; i += 3) engine.put(key(i), value, undefined, () => {});
      world.await((done) => engine.flush(done));
    }
    failAfter(2);
    let compacted: Error | null | undefined;
    engine.compact((error) => (compacted = error));
    world.sim.run({ maxEvents: 1_000_000 });
    expect(compacted?.message).toMatch(/injected fsync failure/);
    world.crash('drop-unsynced');
    const reopened = StorageEngine.open({ disk: world.disk, clock: world.clock, options });
    for (let i = 0; i < 300; i++) expect(reopened.get(key(i))?.length, `key ${i}`).toBe(2 * KiB);
  });
});
