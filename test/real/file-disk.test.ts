import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDisk } from '../../real/file-disk';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-file-disk-'));
  dirs.push(dir);
  return dir;
}
const synced = (disk: FileDisk, name: string): Promise<void> =>
  new Promise((resolve, reject) => disk.sync(name, (error) => (error ? reject(error) : resolve())));

// FileDisk behaviour beyond the Disk contract (test/env/disk.test.ts runs that against both disks).
describe('FileDisk', () => {
  it('remove: the name is gone at once, a new file may take it, and the data is unlinked in the background', async () => {
    const dir = tempDir();
    const disk = new FileDisk(dir);
    disk.create('000007.sst');
    disk.append('000007.sst', new Uint8Array(1 << 20).fill(1));
    await synced(disk, '000007.sst');
    disk.remove('000007.sst');
    expect(disk.exists('000007.sst')).toBe(false);
    expect(disk.list()).toEqual([]);
    disk.create('000007.sst');
    disk.append('000007.sst', new Uint8Array([42]));
    await new Promise<void>((resolve) => disk.whenUnlinked(resolve));
    expect(fs.readdirSync(dir)).toEqual(['000007.sst']);
    expect(Array.from(disk.readAll('000007.sst'))).toEqual([42]);
    disk.close();
  });

  it('deletes trash a previous process left behind (a crash between rename and unlink)', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '~deleting.0.000003.log'), 'old');
    fs.writeFileSync(path.join(dir, '000004.log'), 'kept');
    const disk = new FileDisk(dir);
    expect(fs.readdirSync(dir)).toEqual(['000004.log']);
    expect(disk.list()).toEqual(['000004.log']);
    disk.close();
  });

  it('reports each fdatasync at or over slowSyncMs, naming the file', async () => {
    const dir = tempDir();
    const slow: [string, number][] = [];
    const disk = new FileDisk(dir, { slowSyncMs: 0, onSlowSync: (name, ms) => slow.push([name, ms]) });
    disk.create('000001.log');
    disk.append('000001.log', new Uint8Array(4096));
    await synced(disk, '000001.log');
    expect(slow).toHaveLength(1);
    expect(slow[0]![0]).toBe('000001.log');
    expect(slow[0]![1]).toBeGreaterThanOrEqual(0);
    const quiet = new FileDisk(dir, { slowSyncMs: 60_000, onSlowSync: (name, ms) => slow.push([name, ms]) });
    await synced(quiet, '000001.log');
    expect(slow).toHaveLength(1);
    quiet.close();
    disk.close();
  });
});
