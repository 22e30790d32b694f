import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDisk } from '../../real/file-disk';
import { SimDisk } from '../../sim/disk';
import { FaultyDisk } from '../../sim/faulty-disk';
import { SimHost } from '../../sim/host';
import { SeededRandom } from '../../sim/random';
import { Simulator } from '../../sim/simulator';
import { runDiskContract, syncNow, type DiskFixture } from './disk-contract';

function simFixture(seed = 1): DiskFixture & { simDisk: SimDisk; host: SimHost; simulator: Simulator } {
  const simulator = new Simulator(seed);
  const host = new SimHost('n0', 0);
  const simDisk = new SimDisk(simulator, host, simulator.random.fork('disk'));
  return { disk: simDisk, simDisk, host, simulator, pump: () => simulator.run() };
}

describe('Disk contract: simulated disk', () => runDiskContract(() => simFixture()));

describe('Disk contract: file disk (real fsync)', () =>
  runDiskContract(() => {
    const directory = mkdtempSync(join(tmpdir(), 'dynalab-disk-'));
    const disk = new FileDisk(directory);
    return { disk, pump: () => {}, cleanup: () => { disk.close(); rmSync(directory, { recursive: true, force: true }); } };
  }));

describe('Disk contract: fault wrapper with all knobs at zero', () =>
  runDiskContract(() => {
    const fixture = simFixture();
    return { ...fixture, disk: new FaultyDisk(fixture.disk, new SeededRandom('faults')) };
  }));

describe('simulated disk crash semantics', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (data: Uint8Array) => new TextDecoder().decode(data);

  it('only synced bytes survive a crash; unsynced appends vanish', async () => {
    const fixture = simFixture();
    const { simDisk: disk, host } = fixture;
    disk.create('wal');
    await syncNow(fixture);
    disk.append('wal', bytes('acked;'));
    await syncNow(fixture, 'wal');
    disk.append('wal', bytes('not-synced'));
    host.crash();
    disk.crash('drop-unsynced');
    host.restart();
    expect(text(disk.readAll('wal'))).toBe('acked;');
  });

  it('a sync still in flight at the crash makes nothing durable', () => {
    const fixture = simFixture();
    const { simDisk: disk, host } = fixture;
    disk.create('wal');
    disk.syncDirectory(() => {});
    fixture.simulator.run();
    disk.append('wal', bytes('in-flight'));
    let called = false;
    disk.sync('wal', () => (called = true));
    host.crash();
    disk.crash('drop-unsynced');
    fixture.simulator.run();
    expect(called).toBe(false);
    host.restart();
    expect(disk.size('wal')).toBe(0);
  });

  it('files created or renamed without a directory sync are gone after a crash', async () => {
    const fixture = simFixture();
    const { simDisk: disk, host } = fixture;
    disk.create('kept');
    disk.append('kept', bytes('k'));
    await syncNow(fixture, 'kept');
    await syncNow(fixture);
    disk.create('lost');
    await syncNow(fixture, 'lost');
    disk.rename('kept', 'renamed');
    host.crash();
    disk.crash();
    host.restart();
    expect(disk.list()).toEqual(['kept']);
    expect(text(disk.readAll('kept'))).toBe('k');
  });

  it('a positional overwrite after a sync does not leak into the durable image', async () => {
    const fixture = simFixture();
    const { simDisk: disk, host } = fixture;
    disk.create('m');
    await syncNow(fixture);
    disk.append('m', bytes('AAAA'));
    await syncNow(fixture, 'm');
    disk.writeAt('m', 0, bytes('BB'));
    host.crash();
    disk.crash();
    host.restart();
    expect(text(disk.readAll('m'))).toBe('AAAA');
  });

  it('tear mode leaves a prefix of the unsynced tail — sometimes none, sometimes part, never garbage', async () => {
    const lengths = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const fixture = simFixture(seed);
      const { simDisk: disk, host } = fixture;
      disk.create('wal');
      await syncNow(fixture);
      disk.append('wal', bytes('durable|'));
      await syncNow(fixture, 'wal');
      disk.append('wal', bytes('0123456789'));
      host.crash();
      disk.crash('tear-unsynced');
      host.restart();
      const after = text(disk.readAll('wal'));
      expect('durable|0123456789'.startsWith(after), `seed ${seed}: '${after}'`).toBe(true);
      expect(after.startsWith('durable|')).toBe(true);
      lengths.add(after.length);
    }
    expect(lengths.size).toBeGreaterThan(3);
  });
});

describe('simulated disk write bandwidth', () => {
  it('a sync waits for every byte written before it to drain at the device rate, behind earlier syncs', () => {
    const simulator = new Simulator(1);
    const disk = new SimDisk(simulator, new SimHost('n0', 0), simulator.random.fork('disk'), { syncLatency: { kind: 'fixed', ms: 0.2 }, writeBytesPerSecond: 1_000_000 });
    const done: [string, number][] = [];
    disk.create('table');
    disk.create('wal');
    disk.append('table', new Uint8Array(500_000)); // a compaction's output: 0.5 s at 1 MB/s
    disk.sync('table', () => done.push(['table', simulator.nowMicros]));
    disk.append('wal', new Uint8Array(1000)); // a WAL record right behind it: 1 ms more
    disk.sync('wal', () => done.push(['wal', simulator.nowMicros]));
    simulator.run();
    expect(done).toEqual([['table', 500_200], ['wal', 501_200]]);
    expect(disk.syncMicros.count).toBe(2);
    expect(disk.syncMicros.percentile(100) / 501_200).toBeCloseTo(1, 2); // within the histogram's 1 %
    // Once the device is idle again a small sync costs its latency and its own bytes only.
    disk.append('wal', new Uint8Array(100));
    disk.sync('wal', () => done.push(['later', simulator.nowMicros]));
    simulator.run();
    expect(done.at(-1)).toEqual(['later', 501_200 + 100 + 200]);
  });

  it('is unlimited by default, and refuses a negative rate', () => {
    const simulator = new Simulator(1);
    const disk = new SimDisk(simulator, new SimHost('n0', 0), simulator.random.fork('disk'));
    disk.create('f');
    disk.append('f', new Uint8Array(10_000_000));
    disk.sync('f', () => {});
    expect(disk.syncMicros.percentile(50) / 200).toBeCloseTo(1, 2);
    expect(() => new SimDisk(simulator, new SimHost('n1', 1), simulator.random.fork('d'), { writeBytesPerSecond: -1 })).toThrow(/writeBytesPerSecond must be a number ≥ 0/);
  });
});

describe('fault-injecting disk wrapper', () => {
  it('injects read and write errors and bit flips at the configured probabilities, seeded', () => {
    const fixture = simFixture();
    const faulty = new FaultyDisk(fixture.disk, new SeededRandom('f'));
    faulty.create('x');
    faulty.append('x', new Uint8Array(64).fill(7));
    faulty.setFaults({ readFaultProbability: 1 });
    expect(() => faulty.readAll('x')).toThrow(/injected read failure/);
    faulty.setFaults({ writeFaultProbability: 1 });
    expect(() => faulty.append('x', new Uint8Array(1))).toThrow(/injected write failure/);
    expect(fixture.disk.size('x')).toBe(64);
    faulty.setFaults({ bitFlipProbability: 1 });
    const flipped = faulty.readAll('x');
    const differing = [...flipped].filter((b) => b !== 7).length;
    expect(differing).toBe(1);
    expect(faulty.counters).toMatchObject({ readFaults: 1, writeFaults: 1, bitFlips: 1 });
    faulty.setFaults({});
    expect(faulty.readAll('x')).toEqual(new Uint8Array(64).fill(7));
    // readInto obeys the same knobs: EIO before touching the buffer, or one bit flipped in the bytes it read.
    const target = new Uint8Array(80).fill(1);
    faulty.setFaults({ readFaultProbability: 1 });
    expect(() => faulty.readInto('x', 0, target)).toThrow(/readInto failed on 'x': injected read failure/);
    expect(target).toEqual(new Uint8Array(80).fill(1));
    faulty.setFaults({ bitFlipProbability: 1 });
    expect(faulty.readInto('x', 32, target, 4)).toBe(32);
    expect(target.subarray(0, 4)).toEqual(new Uint8Array(4).fill(1));
    expect(target.subarray(36)).toEqual(new Uint8Array(44).fill(1));
    expect([...target.subarray(4, 36)].filter((b) => b !== 7).length).toBe(1);
    expect(faulty.readInto('x', 64, target)).toBe(0); // nothing read, nothing to flip
    expect(faulty.counters).toMatchObject({ readFaults: 2, writeFaults: 1, bitFlips: 2 });
    faulty.setFaults({});
    expect(faulty.readInto('x', 0, target)).toBe(64);
    expect(target.subarray(0, 64)).toEqual(new Uint8Array(64).fill(7));
    expect(() => faulty.setFaults({ readFaultProbability: 2 })).toThrow(/readFaultProbability/);
  });

  it('reports injected fsync failures through the callback', async () => {
    const fixture = simFixture();
    const faulty = new FaultyDisk(fixture.disk, new SeededRandom('f'), { syncFaultProbability: 1 });
    faulty.create('x');
    const error = await syncNow({ ...fixture, disk: faulty }, 'x');
    expect(error?.message).toMatch(/sync failed on 'x': injected fsync failure/);
  });
});
