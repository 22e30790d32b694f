import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { lockDataDir } from '../../real/data-dir-lock';
import { tempDir } from './harness';

// Reads of one file fail with EMFILE while `failing.file` names it, as when the descriptors run out.
const failing = vi.hoisted(() => ({ file: '' }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((file: unknown, ...rest: unknown[]) => {
    if (failing.file !== '' && String(file) === failing.file) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    return (actual.readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof actual.readFileSync;
  return { ...actual, readFileSync, default: { ...actual, readFileSync } };
});

// A LOCK check that cannot run is not a takeover. Found by a review: 1,100 idle HTTP connections used up the
// descriptors, the next check failed with EMFILE, and the node exited saying its data dir was no longer its own.
describe('a data-dir lock whose check fails for a while', () => {
  it('warns and keeps the lock while another host could not yet judge it stale; gives it up only past that', async () => {
    const dir = tempDir('lock-emfile');
    const warnings: string[] = [];
    const lost: string[] = [];
    const lock = await lockDataDir(dir, { heartbeatMs: 50, staleAfterMs: 600, onCheckFailed: (m) => warnings.push(m), onLost: (m) => lost.push(m) });
    failing.file = lock.file;
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lost).toEqual([]);
      expect(warnings[0]).toMatch(/cannot check its LOCK file .*EMFILE.*retrying every second/);
      // Descriptors back: the lock is still this holder's, checked and touched as before.
      failing.file = '';
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(lost).toEqual([]);
      // Failing for longer than another host waits before taking a LOCK over: now it is given up.
      failing.file = lock.file;
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatch(/could not be checked or touched for \d+ s \(EMFILE/);
    } finally {
      failing.file = '';
      lock.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a data directory the node cannot write', () => {
  it('is refused naming the directory and what a node needs, not with a bare errno message', async () => {
    const dir = tempDir('lock-notdir');
    const file = `${dir}/a-file`;
    fs.writeFileSync(file, 'x');
    try {
      await expect(lockDataDir(`${file}/data`)).rejects.toThrow(new RegExp(`^cannot use data dir ${file}/data: ENOTDIR.*a node needs to write its data directory\\)$`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

