import { describe, expect, it } from 'vitest';
import { DiskError, type Disk } from '../../../core/env';
import type { TableBuilder } from '../../../core/storage/sstable-writer';
import { WritebackPacer } from '../../../core/storage/writeback-pacer';

/** A builder that only counts appended bytes, and a disk whose fsyncs complete when the test says so. */
function rig() {
  const builder = { name: '000009.sst', appended: 0, get appendedBytes() { return this.appended; } };
  const pending: ((error: DiskError | null) => void)[] = [];
  const disk = { sync: (_name: string, done: (error: DiskError | null) => void) => void pending.push(done) } as unknown as Disk;
  const errors: Error[] = [];
  const pacer = new WritebackPacer(disk, builder as unknown as TableBuilder, 100, () => false, (error) => errors.push(error));
  return { builder, pending, pacer, errors };
}

describe('WritebackPacer', () => {
  it('starts an fsync every 100 bytes and carries on; waits only while the previous one is still running', () => {
    const { builder, pending, pacer } = rig();
    const next = (): void => void (resumed += 1);
    let resumed = 0;
    builder.appended = 60;
    expect(pacer.pace(next)).toBe(false);
    expect(pending).toHaveLength(0);
    builder.appended = 120;
    expect(pacer.pace(next), 'due: start one and carry on').toBe(false);
    expect(pending).toHaveLength(1);
    builder.appended = 250;
    expect(pacer.pace(next), 'due again while the first runs: wait').toBe(true);
    expect(pending).toHaveLength(1);
    pending.shift()!(null);
    expect(resumed, 'resumed once the first finished').toBe(1);
    expect(pacer.pace(next)).toBe(false);
    expect(pending).toHaveLength(1);
    let settled = false;
    pacer.settle(() => (settled = true));
    expect(settled, 'settle waits for the running fsync').toBe(false);
    pending.shift()!(null);
    expect(settled).toBe(true);
  });

  it('a failed fsync reports once, stops every later step and never lets the job settle', () => {
    const { builder, pending, pacer, errors } = rig();
    builder.appended = 150;
    pacer.pace(() => {});
    builder.appended = 300;
    let resumed = false;
    expect(pacer.pace(() => (resumed = true))).toBe(true);
    pending.shift()!(new DiskError('sync', '000009.sst', 'injected EIO'));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/injected EIO/)]);
    expect(resumed, 'the waiting step does not run').toBe(false);
    expect(pacer.failed).toBe(true);
    expect(pacer.pace(() => (resumed = true))).toBe(true);
    let settled = false;
    pacer.settle(() => (settled = true));
    expect(settled).toBe(false);
    expect(pending).toHaveLength(0);
  });
});
