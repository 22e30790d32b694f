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

  it('readInto fills the caller\'s buffer at an offset, short at end of file, untouched beyond', withDisk(({ disk }) => {
    disk.create('r');
    disk.append('r', bytes('hello world'));
    const target = new Uint8Array(8).fill(0x2e); // '.'
    expect(disk.readInto('r', 6, target)).toBe(5);
    expect(text(target)).toBe('world...');
    target.fill(0x2e);
    expect(disk.readInto('r', 0, target, 3)).toBe(5);
    expect(text(target)).toBe('...hello');
    target.fill(0x2e);
    expect(disk.readInto('r', 9, target, 2)).toBe(2); // short: only "ld" is left
    expect(text(target)).toBe('..ld....');
    expect(disk.readInto('r', 11, target)).toBe(0);
    expect(disk.readInto('r', 50, target)).toBe(0);
    expect(disk.readInto('r', 0, target, 8)).toBe(0); // no room
    expect(text(target)).toBe('..ld....');
    // Sees appends and overwrites made after earlier reads (no stale cached view).
    disk.writeAt('r', 0, bytes('J'));
    disk.append('r', bytes('!'));
    const all = new Uint8Array(12);
    expect(disk.readInto('r', 0, all)).toBe(12);
    expect(text(all)).toBe('Jello world!');
    // A subarray target: writes land inside the view only.
    const backing = new Uint8Array(6).fill(0x2e);
    expect(disk.readInto('r', 1, backing.subarray(2, 5))).toBe(3);
    expect(text(backing)).toBe('..ell.');
    expect(() => disk.readInto('missing', 0, target)).toThrow(/readInto.*'missing'.*no such file/);
    expect(() => disk.readInto('r', -1, target)).toThrow(DiskError);
    expect(() => disk.readInto('r', 0, target, 9)).toThrow(DiskError);
    expect(() => disk.readInto('r', 1.5, target)).toThrow(DiskError);
  }));

  it('readInto returns the same bytes as read across a 1 MiB file', withDisk(({ disk }) => {
    const big = new Uint8Array((1 << 20) + 3).map((_, i) => (i * 131 + 17) & 0xff);
    disk.create('big');
    disk.append('big', big);
    const scratch = new Uint8Array(70_000);
    for (const offset of [0, 1, 4095, 65_536, (1 << 20) - 10_000, (1 << 20) + 2]) {
      const n = disk.readInto('big', offset, scratch);
      expect(n).toBe(Math.min(scratch.length, big.length - offset));
      expect(Buffer.compare(scratch.subarray(0, n), disk.read('big', offset, scratch.length))).toBe(0);
    }
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

  // Found by a review: FileDisk threw on exists('../x') and exists('') while SimDisk answered false. A name
  // outside the alphabet is a caller's bug, refused by every other operation: exists refuses it too.
  it('exists refuses an invalid name with a DiskError naming it, like every other operation', withDisk(({ disk }) => {
    for (const name of ['', '../x', '.', '..', 'a/b', 'x'.repeat(129)]) {
      expect(() => disk.exists(name), JSON.stringify(name)).toThrow(DiskError);
    }
    expect(() => disk.exists('../x')).toThrow(/exists.*'\.\.\/x'.*invalid file name/);
    expect(disk.exists('x'.repeat(128))).toBe(false);
  }));

  // Found by a review: FileDisk's rename(x, x) closed x's descriptor but kept using it, so once a later open
  // reused the descriptor number, writes meant for x landed in that other file.
  it('renaming a file onto itself changes nothing; later writes still reach it', withDisk(async (fixture) => {
    const { disk } = fixture;
    disk.create('MANIFEST.tmp');
    disk.append('MANIFEST.tmp', bytes('manifest-v1'));
    disk.rename('MANIFEST.tmp', 'MANIFEST.tmp');
    disk.create('000009.log'); // would take the number of a descriptor closed by mistake
    disk.append('MANIFEST.tmp', bytes('+more'));
    disk.writeAt('MANIFEST.tmp', 0, bytes('M'));
    expect(text(disk.readAll('MANIFEST.tmp'))).toBe('Manifest-v1+more');
    expect(disk.size('000009.log')).toBe(0);
    expect(disk.list()).toEqual(['000009.log', 'MANIFEST.tmp']);
    expect(await syncNow(fixture, 'MANIFEST.tmp')).toBeNull();
    expect(() => disk.rename('missing', 'missing')).toThrow(/rename.*'missing'.*no such file/);
    expect(() => disk.rename('../x', '../x')).toThrow(/invalid file name/);
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
