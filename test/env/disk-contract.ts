import { expect, it } from 'vitest';
import { DiskError, type Disk } from '../../core/env';

/**
 * The Disk contract, as one suite run against every implementation (Hono's runTest({ newRouter }) style).
 * `pump` lets the simulated disk's scheduler run so asynchronous completions arrive; real disks need none.
 */
export interface DiskFixture {
  disk: Disk;
  pump: () => void;
  cleanup?: () => void;
}

export function syncNow(fixture: DiskFixture, name?: string): Promise<DiskError | null> {
  return new Promise((resolve) => {
    let inline = true;
    const done = (error: DiskError | null) => {
      expect(inline, 'sync must never call back inline').toBe(false);
      resolve(error);
    };
    if (name === undefined) fixture.disk.syncDirectory(done);
    else fixture.disk.sync(name, done);
    inline = false;
    fixture.pump();
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

export function runDiskContract(newFixture: () => DiskFixture): void {
  const withDisk = (body: (fixture: DiskFixture) => Promise<void> | void) => async () => {
    const fixture = newFixture();
    try {
      await body(fixture);
    } finally {
      fixture.cleanup?.();
    }
  };

  it('creates, appends, reads back and sizes files', withDisk(({ disk }) => {
    expect(disk.list()).toEqual([]);
    disk.create('a.log');
    expect(disk.exists('a.log')).toBe(true);
    expect(disk.size('a.log')).toBe(0);
    disk.append('a.log', bytes('hello '));
    disk.append('a.log', bytes('world'));
    expect(disk.size('a.log')).toBe(11);
    expect(text(disk.readAll('a.log'))).toBe('hello world');
    expect(text(disk.read('a.log', 6, 5))).toBe('world');
    expect(disk.read('a.log', 9, 100).length).toBe(2);
    expect(disk.read('a.log', 11, 4).length).toBe(0);
  }));

  it('writes at offsets, extends, and truncates', withDisk(({ disk }) => {
    disk.create('f');
    disk.append('f', bytes('abcdef'));
    disk.writeAt('f', 2, bytes('XY'));
    expect(text(disk.readAll('f'))).toBe('abXYef');
    disk.writeAt('f', 6, bytes('gh'));
    expect(text(disk.readAll('f'))).toBe('abXYefgh');
    disk.truncate('f', 3);
    expect(text(disk.readAll('f'))).toBe('abX');
    expect(() => disk.writeAt('f', 10, bytes('z'))).toThrow(DiskError);
  }));

  it('create on an existing file truncates it', withDisk(({ disk }) => {
    disk.create('f');
    disk.append('f', bytes('old'));
    disk.create('f');
    expect(disk.size('f')).toBe(0);
  }));

  it('lists files sorted, renames atomically over an existing file, removes', withDisk(({ disk }) => {
    for (const name of ['b', 'a', 'c.tmp']) disk.create(name);
    disk.append('c.tmp', bytes('new'));
    disk.append('b', bytes('old'));
    expect(disk.list()).toEqual(['a', 'b', 'c.tmp']);
    disk.rename('c.tmp', 'b');
    expect(disk.list()).toEqual(['a', 'b']);
    expect(text(disk.readAll('b'))).toBe('new');
    disk.remove('a');
    expect(disk.list()).toEqual(['b']);
    expect(disk.exists('a')).toBe(false);
  }));

  it('names the operation and file when something is missing or invalid', withDisk(({ disk }) => {
    expect(() => disk.readAll('missing')).toThrow(/readAll.*'missing'.*no such file/);
    expect(() => disk.append('missing', bytes('x'))).toThrow(DiskError);
    expect(() => disk.remove('missing')).toThrow(DiskError);
    expect(() => disk.create('../escape')).toThrow(/invalid file name/);
    expect(() => disk.create('')).toThrow(DiskError);
  }));

  it('sync and syncDirectory call back asynchronously with no error', withDisk(async (fixture) => {
    fixture.disk.create('wal');
    fixture.disk.append('wal', bytes('record'));
    expect(await syncNow(fixture, 'wal')).toBeNull();
    expect(await syncNow(fixture)).toBeNull();
    expect(text(fixture.disk.readAll('wal'))).toBe('record');
  }));

  it('keeps binary data intact (every byte value, a 1 MiB write)', withDisk(({ disk }) => {
    const all = new Uint8Array(256).map((_, i) => i);
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    disk.create('bin');
    disk.append('bin', all);
    disk.append('bin', big);
    const back = disk.readAll('bin');
    expect(back.length).toBe(256 + (1 << 20));
    expect(Buffer.compare(back.subarray(0, 256), all)).toBe(0);
    expect(Buffer.compare(back.subarray(256), big)).toBe(0);
  }));
}
