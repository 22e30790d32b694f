import { describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import { DEFAULT_COMPACTION_LOAD, measureCompaction, type CompactionLoad } from '../../reports/measured/compaction';
import { reportMarkdown } from '../../reports/writers';
import { measured } from './fixture';

/**
 * Space amplification is what the disk holds per byte of live data: table bytes ÷ the key + value bytes of each
 * live key's newest record. Under size-tiered compaction live data is spread over several runs, so dividing by
 * the largest run (RocksDB's leveled estimate) overstated it, and the report sized disks from that.
 */

/** The keys the load writes, replayed independently: xorshift32 from the load's seed, as CompactionLoad says. */
function distinctKeys(load: CompactionLoad): number {
  let x = (load.seed | 0) || 0x9e3779b9;
  const keys = new Set<number>();
  for (let i = 0; i < load.puts; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys.add(Math.floor(((x >>> 0) / 2 ** 32) * load.keySpace));
  }
  return keys.size;
}

/** "user:00000042": 13 bytes, whatever the index below 10^8. */
const KEY_BYTES = 'user:00000000'.length;
const liveBytes = (load: CompactionLoad): number => distinctKeys(load) * (KEY_BYTES + load.valueBytes);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe('space amplification: table bytes ÷ live bytes', () => {
  it('both strategies divide the bytes on disk by the live keys\' newest key + value bytes', () => {
    // Half the key space overwritten on average, several runs under size-tiered.
    const load: CompactionLoad = { puts: 6000, keySpace: 3000, valueBytes: 500, memtableBytes: 16 * 1024, seed: 3 };
    const live = liveBytes(load);
    for (const strategy of ['size-tiered', 'leveled'] as const) {
      const m = measureCompaction(strategy, 10, load);
      const table = sum(m.bytesPerLevel);
      expect(table, strategy).toBeGreaterThan(live);
      expect(m.spaceAmplification, strategy).toBeCloseTo(table / live, 9);
    }
  });

  it('the report\'s default load (15 130 live keys of 24 000): size-tiered 1.31×, leveled 1.15×, not 1.65× and 1.21×', () => {
    const load = DEFAULT_COMPACTION_LOAD;
    expect(distinctKeys(load)).toBe(15_130);
    const live = liveBytes(load); // 15 130 × 1 013 B = 15.3 MB
    const tiered = measureCompaction('size-tiered', 10, load);
    const leveled = measureCompaction('leveled', 10, load);
    for (const m of [tiered, leveled]) {
      expect(m.liveKeys, m.strategy).toBe(15_130);
      expect(m.liveBytes, m.strategy).toBe(live);
      expect(m.spaceAmplification, m.strategy).toBeCloseTo(sum(m.bytesPerLevel) / live, 9);
    }
    // Three figures, as the report prints them: 20.1 MB and 17.7 MB of tables over 15.3 MB of live data.
    expect(Number(tiered.spaceAmplification.toPrecision(3))).toBe(1.31);
    expect(Number(leveled.spaceAmplification.toPrecision(3))).toBe(1.15);
    // Leveled still keeps less on disk than size-tiered.
    expect(leveled.spaceAmplification).toBeLessThan(tiered.spaceAmplification);
  });

  it('the report says what it divides by', () => {
    const md = reportMarkdown({ model: capacityModel(), measured: measured(), charts: [], command: 'x' });
    expect(md).toContain('Space amplification is the bytes in tables ÷ the key + value bytes of the live keys\' newest records (15,130 keys, 15.3 MB)');
    expect(md).toContain('670 GB × 1.31× = 878 GB under size-tiered');
  });
});
