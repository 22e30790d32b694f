import { describe, expect, it } from 'vitest';
import type { Random } from '../../core/env';
import { realStorageOptions } from '../../real/node-process';

const fixed = (value: number): Random => ({ next: () => value, int: (max) => Math.floor(value * max), fork: () => fixed(value) });
const MiB = 2 ** 20;

describe('real node storage options', () => {
  it('draws the memtable size from 48–64 MiB, so replicas holding the same data do not all flush at once', () => {
    expect(realStorageOptions(fixed(0))?.memtableBytes).toBe(64 * MiB);
    expect(realStorageOptions(fixed(0.999999))?.memtableBytes).toBeGreaterThan(48 * MiB);
    expect(realStorageOptions(fixed(0.999999))?.memtableBytes).toBeLessThan(48 * MiB + 64);
    const sizes = new Set([0.1, 0.5, 0.9].map((v) => realStorageOptions(fixed(v))?.memtableBytes));
    expect(sizes.size).toBe(3);
  });
});
