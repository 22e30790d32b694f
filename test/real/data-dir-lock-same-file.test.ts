import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../real/data-dir-lock';

// Found by a review: the lock asked whether a live holder keeps its LOCK open by comparing the paths in
// /proc/<pid>/fd with its own path to the file. A holder that reached the same directory by another path (a
// bind mount: the same files under two names) did not match, looked like a reused pid, and its LOCK was taken
// over — two nodes writing one data directory until the first noticed (up to a second). The file is now
// compared by device and inode.

const holders = new Set<ChildProcess>();
afterEach(() => {
  for (const child of holders) child.kill('SIGKILL');
  holders.clear();
});

/** A live process holding `file` open under that name, as a node holds its LOCK; resolves once it has. */
async function holdOpen(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', "require('fs').openSync(process.argv[1], 'r'); console.log('open'); setInterval(() => {}, 1000)", file], { stdio: ['ignore', 'pipe', 'ignore'] });
  holders.add(child);
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
  });
  return child;
}

describe('data dir lock: the same LOCK file reached by another path', () => {
  it('refuses a live holder that has the LOCK open under another name (a hard link: no root needed)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-lock-alias-'));
    try {
      const lockFile = path.join(fs.realpathSync(dir), 'LOCK');
      const alias = path.join(fs.realpathSync(dir), 'LOCK-alias');
      fs.writeFileSync(lockFile, '');
      fs.linkSync(lockFile, alias); // one file, two names: what the holder's /proc/<pid>/fd shows is the alias
      const holder = await holdOpen(alias);
      fs.writeFileSync(lockFile, `${holder.pid} ${os.hostname()}\n`);
      expect(fs.readlinkSync(`/proc/${holder.pid}/fd/${fs.readdirSync(`/proc/${holder.pid}/fd`).find((fd) => safeReadlink(`/proc/${holder.pid}/fd/${fd}`) === alias)}`)).toBe(alias);
      const second = await lockDataDir(dir).then((lock) => lock, (error: Error) => error);
      if (!(second instanceof Error)) second.release();
      expect(second instanceof Error ? second.message : 'the lock was taken').toContain(`data dir ${fs.realpathSync(dir)} is in use by process ${holder.pid} (its LOCK file)`);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${holder.pid} ${os.hostname()}\n`); // left alone
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a LOCK whose pid is alive but holds another file of that name open is still stale (a reused pid)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-lock-other-'));
    try {
      const lockFile = path.join(fs.realpathSync(dir), 'LOCK');
      fs.writeFileSync(lockFile, '');
      const holder = await holdOpen(lockFile);
      // The file it holds is replaced by another one under the same name (the old holder's LOCK removed, a new
      // one written naming this pid): same path, another inode — not held.
      fs.rmSync(lockFile);
      fs.writeFileSync(lockFile, `${holder.pid} ${os.hostname()}\n`);
      const taken = await lockDataDir(dir);
      expect(fs.readFileSync(lockFile, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
      taken.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The reviewer's repro. Needs mount(2) (root with CAP_SYS_ADMIN); skipped where that is not allowed.
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  it.skipIf(!canMount)('refuses a live holder that locked the directory through a bind mount of it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-lock-bind-'));
    const src = path.join(root, 'src');
    const dst = path.join(root, 'dst');
    fs.mkdirSync(path.join(src, 'd'), { recursive: true });
    fs.mkdirSync(dst);
    const mounted = spawnSync('mount', ['--bind', src, dst]);
    try {
      if (mounted.status !== 0) {
        console.warn(`bind mount not allowed here (${String(mounted.stderr).trim()}): the hard-link case above covers the comparison`);
        return;
      }
      const held = await lockDataDir(path.join(src, 'd')); // a real holder, through one path …
      try {
        const holder = await holdOpen(path.join(src, 'd', 'LOCK')); // … and one in another process
        fs.writeFileSync(path.join(src, 'd', 'LOCK'), `${holder.pid} ${os.hostname()}\n`);
        held.release(); // leaves the file: it names the other process now
        // Through the other path the directory is another string, so only the inode can tell it is the same.
        const second = await lockDataDir(path.join(dst, 'd')).then((lock) => lock, (error: Error) => error);
        if (!(second instanceof Error)) second.release(); // taken (the defect): let go, so that dst can be unmounted
        expect(second instanceof Error ? second.message : 'the lock was taken').toContain(`is in use by process ${holder.pid} (its LOCK file)`);
        expect(fs.readFileSync(path.join(src, 'd', 'LOCK'), 'utf8')).toBe(`${holder.pid} ${os.hostname()}\n`);
      } finally {
        held.release();
      }
    } finally {
      if (mounted.status === 0) {
        for (const child of holders) child.kill('SIGKILL'); // a holder's open file keeps the mount busy
        await new Promise((resolve) => setTimeout(resolve, 50));
        const unmounted = spawnSync('umount', [dst]);
        if (unmounted.status !== 0) spawnSync('umount', ['-l', dst]); // never leave a mount behind
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function safeReadlink(link: string): string | null {
  try {
    return fs.readlinkSync(link);
  } catch {
    return null;
  }
}
