import { describe, expect, it } from 'vitest';
import type { Random } from '../../core/env';
import { parseNodeConfig } from '../../real/node-config';
import { realStorageOptions } from '../../real/node-process';

const fixed = (value: number): Random => ({ next: () => value, int: (max) => Math.floor(value * max), fork: () => fixed(value) });
const MiB = 2 ** 20;
const defaults = { memtableMiB: 64, blockCacheMiB: 8, compaction: 'leveled' as const, tableSyncMiB: 1, backgroundDutyCycle: 0.33, tombstoneGraceHours: 240 };
const config = (storage: string): string => `id: a
listen: { http: 127.0.0.1:8001, tcp: 127.0.0.1:9001 }
dataDir: ./a
secret: 0123456789abcdef
members:
  - { id: a, tcp: 127.0.0.1:9001 }
n: 1
r: 1
w: 1
${storage}`;

describe('real node storage options', () => {
  it('draws the memtable size from 48–64 MiB, so replicas holding the same data do not all flush at once', () => {
    expect(realStorageOptions(fixed(0), defaults)?.memtableBytes).toBe(64 * MiB);
    expect(realStorageOptions(fixed(0.999999), defaults)?.memtableBytes).toBeGreaterThan(48 * MiB);
    expect(realStorageOptions(fixed(0.999999), defaults)?.memtableBytes).toBeLessThan(48 * MiB + 64);
    const sizes = new Set([0.1, 0.5, 0.9].map((v) => realStorageOptions(fixed(v), defaults)?.memtableBytes));
    expect(sizes.size).toBe(3);
  });

  it('takes the storage section of the config file, with defaults for what it leaves out', () => {
    const parsed = parseNodeConfig(config('storage: { memtableMiB: 16, compaction: size-tiered, tableSyncMiB: 0, tombstoneGraceHours: 48 }'), 'a.yaml');
    expect(parsed.storage).toEqual({ memtableMiB: 16, blockCacheMiB: 8, compaction: 'size-tiered', tableSyncMiB: 0, backgroundDutyCycle: 0.33, tombstoneGraceHours: 48 });
    const options = realStorageOptions(fixed(0), parsed.storage);
    expect(options).toEqual({ memtableBytes: 16 * MiB, blockCacheBytes: 8 * MiB, compaction: 'size-tiered', tableSyncBytes: 0, backgroundDutyCycle: 0.33, backgroundStepBytes: 256 * 1024, tombstoneGraceMicros: 48 * 3_600_000_000 });
    expect(parseNodeConfig(config(''), 'a.yaml').storage).toEqual(defaults);
  });

  it('names the field and line of a bad storage setting', () => {
    expect(() => parseNodeConfig(config('storage:\n  backgroundDutyCycle: 2'), 'a.yaml')).toThrow(/a\.yaml:11:\d+: storage\.backgroundDutyCycle: must be > 0 and ≤ 1/);
    expect(() => parseNodeConfig(config('storage: { memtableMB: 16 }'), 'a.yaml')).toThrow(/storage/);
    // Shorter than the 3 h hint window, a late hint brings a deleted value back.
    expect(() => parseNodeConfig(config('storage: { tombstoneGraceHours: 1 }'), 'a.yaml')).toThrow(/storage\.tombstoneGraceHours: must be at least 3 \(hours\): a hint is delivered up to 3 h/);
    expect(parseNodeConfig(config('storage: { tombstoneGraceHours: 3 }'), 'a.yaml').storage.tombstoneGraceHours).toBe(3);
  });
});
