import { describe, expect, it } from 'vitest';
import { bloomHash, BloomFilter, buildBloom } from '../../../core/storage/bloom';
import { enc, World } from './world';

/** At 10 bits/key the measured false-positive rate over 100 K absent keys must be within 0.4 %..1.5 %. */
describe('bloom filter', () => {
  it('has no false negatives and ~1 % false positives at 10 bits/key (100 K present, 100 K absent keys)', () => {
    const present = Array.from({ length: 100_000 }, (_, i) => enc(`user:${i}:profile`));
    const filter = new BloomFilter(buildBloom(present.map(bloomHash), 10));
    for (const key of present) expect(filter.mayContain(key)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayContain(enc(`user:${i}:absent`))) falsePositives++;
    const rate = falsePositives / 100_000;
    expect(rate).toBeGreaterThanOrEqual(0.004);
    expect(rate).toBeLessThanOrEqual(0.015);
  });

  it('the classic (unblocked) filter of older tables: no false negatives, ~0.8 % false positives', () => {
    const present = Array.from({ length: 50_000 }, (_, i) => enc(`user:${i}:profile`));
    const filter = new BloomFilter(buildBloom(present.map(bloomHash), 10, false));
    expect(filter.wellFormed).toBe(true);
    for (const key of present) expect(filter.mayContain(key)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayContain(enc(`user:${i}:absent`))) falsePositives++;
    expect(falsePositives / 100_000).toBeGreaterThanOrEqual(0.004);
    expect(falsePositives / 100_000).toBeLessThanOrEqual(0.012);
  });

  it('blocked: each key sets bits in one 64-byte block only', () => {
    const hashes = Array.from({ length: 1000 }, (_, i) => bloomHash(enc(`k${i}`)));
    const empty = buildBloom([], 10);
    expect(new BloomFilter(empty).wellFormed).toBe(true);
    for (const h of hashes.slice(0, 50)) {
      const one = buildBloom([h], 10);
      const touched = new Set<number>();
      for (let i = 1; i < one.length; i++) if (one[i] !== 0) touched.add(Math.floor((i - 1) / 64));
      expect(touched.size).toBe(1);
    }
    const filter = buildBloom(hashes, 10);
    expect((filter.length - 1) % 64).toBe(0);
    expect(filter[0]! & 0x7f).toBe(7);
  });

  it('the engine measures the same rate on its own tables (stats().bloomFalsePositiveRate)', () => {
    const world = new World(41);
    const engine = world.open({ memtableBytes: 4 << 20, autoCompaction: false });
    for (let i = 0; i < 20_000; i++) engine.put(enc(`k${i}`), enc('v'), undefined, () => {});
    world.await((done) => engine.flush(done));
    // Absent keys inside the table's key range, so each get consults the filter.
    for (let i = 0; i < 100_000; i++) engine.get(enc(`k${i}x`));
    const stats = engine.stats();
    expect(stats.bloomNegatives + stats.bloomFalsePositives).toBeGreaterThan(90_000);
    expect(stats.bloomFalsePositiveRate).toBeGreaterThanOrEqual(0.004);
    expect(stats.bloomFalsePositiveRate).toBeLessThanOrEqual(0.015);
  });
});
