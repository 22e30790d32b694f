import { describe, expect, it } from 'vitest';
import { capacityModel } from '../../reports/capacity-model';
import { scenarioFailure, scenarioLabel, summaryLines } from '../../reports/capacity-report';
import { compactionFinding, networkFinding, ringFinding, scenarioFinding, storageFinding, trafficFinding } from '../../reports/findings';
import type { Measured } from '../../reports/measured';
import type { CompactionMeasurement, ScenarioMeasurement } from '../../reports/measured';

/**
 * The "what this means" readings against fixed measurements — the figures a default run produces (500 nodes,
 * 256 vnodes, the 24 000-put LSM load) — so each reading can be checked word for word without measuring.
 */
const ringPoint = (vnodes: number, primary: number, replica: number, maxReplicaLoad: number) => ({
  vnodes, expectedPercent: 100 / Math.sqrt(vnodes), primaryStddevPercent: primary, replicaStddevPercent: replica,
  maxPrimaryLoad: 1 + primary / 30, minPrimaryLoad: 1 - primary / 30, maxReplicaLoad,
});

const strategy = (name: 'leveled' | 'size-tiered', table: number, wal: number, manifest: number, space: number, flushes: number, compactions: number): CompactionMeasurement => ({
  strategy: name, tableWriteAmplification: table, walWriteAmplification: wal, manifestWriteAmplification: manifest,
  writeAmplification: table + wal + manifest, spaceAmplification: space, compactions, flushes, userBytes: 24_312_000,
  tableBytes: Math.round(space * 15_326_690), liveBytes: 15_326_690, liveKeys: 15_130,
  bytesPerLevel: [], engineBloomFalsePositiveRate: 0.005, engineBloomProbes: 20_000,
});

const scenario = (checks: ScenarioMeasurement['checks']): ScenarioMeasurement => ({
  file: 'scenarios/clock-skew.yaml', name: 'clock-skew', seed: 3,
  cluster: { nodes: 5, vnodes: 64, n: 3, r: 2, w: 2, conflict: 'lww' },
  verdict: checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.some((c) => c.verdict === 'unknown') ? 'unknown' : 'ok',
  traceHash: '4875412014cab64c', checks,
  latency: [{ op: 'get', summary: { count: 2178, p50Ms: 0.96, p99Ms: 1.57, p999Ms: 1.75 } as ScenarioMeasurement['latency'][number]['summary'] }],
  operations: { completed: 3640, ok: 3640, fail: 0, info: 0 },
  availability: { duringFaults: null, outsideFaults: 1, faultSeconds: 0 },
  staleReads: null, siblings: { mean: 1, p99: 1, max: 1 }, simulatedSeconds: 31.1, events: 26_011,
});

const measured = (overrides: Partial<Measured> = {}): Measured => ({
  ring: {
    nodes: 500, replicas: 3,
    byVnodes: [ringPoint(1, 96.8, 57, 3.2), ringPoint(256, 6.45, 3.74, 1.117)],
    strategies: [],
  },
  bloom: { keys: 50_000, lookups: 200_000, points: [], chosen: { bitsPerKey: 10, probes: 7, model: 0.00957, measured: 0.00975, filterBytes: 62_500 } },
  compaction: {
    load: { puts: 24_000, keySpace: 24_000, valueBytes: 1000, memtableBytes: 64 * 1024, seed: 1 },
    strategies: [strategy('size-tiered', 4.52, 1.04, 0.03, 1.65, 387, 127), strategy('leveled', 10.2, 1.04, 1.36, 1.21, 387, 691)],
  },
  scenario: null,
  wallSeconds: {},
  ...overrides,
});

describe('findings — reads fan out to all N replicas', () => {
  it('the network reading credits N with the read bytes and says R only sets how many answers are awaited', () => {
    const text = networkFinding(capacityModel()).join(' ');
    expect(text).not.toMatch(/R moves the network bill more than N/);
    expect(text).toContain('120 MB/s of read replies');
    expect(text).toContain('read replies are 6× the replication bytes');
    expect(text).toMatch(/N sets both/);
    expect(text).toMatch(/each read goes to all N = 3 replicas/);
    expect(text).toMatch(/R=2 only sets how many of those answers the coordinator waits for/);
    // R changes nothing in the bytes; N does.
    const r1 = capacityModel({ readQuorum: 1 });
    expect(r1.network.readFanInPerNode.value).toBe(capacityModel({ readQuorum: 3 }).network.readFanInPerNode.value);
    expect(capacityModel({ replicas: 5, readQuorum: 2 }).network.readFanInPerNode.value).toBeGreaterThan(r1.network.readFanInPerNode.value);
  });

  it('the traffic reading counts replica reads from N, not R', () => {
    expect(trafficFinding(capacityModel()).join(' ')).toContain('as a replica serves 120 K/s reads (every read is sent to all N=3 replicas; R=2 only sets how many replies the coordinator waits for)');
  });
});

describe('findings — a failed scenario is named first', () => {
  const failing = scenario([
    { checker: 'lost-writes', verdict: 'fail', summary: '3 of 1462 acknowledged writes lost (final reads on 20 keys; lww mode)' },
    { checker: 'lww-lost-overwrites', verdict: 'fail', summary: '3 of 1462 acknowledged writes (0.002052) silently lost to writes that completed before they started' },
    { checker: 'stale-reads', verdict: 'unknown', summary: 'no key had a completed final read' },
    { checker: 'siblings', verdict: 'ok', summary: 'mean 1.000 siblings' },
  ]);

  it('each failed or unknown check leads the scenario reading, before latency', () => {
    const lines = scenarioFinding(measured({ scenario: failing }));
    expect(lines[0]).toBe('**Check lost-writes FAILED**: 3 of 1462 acknowledged writes lost (final reads on 20 keys; lww mode).');
    expect(lines[1]).toMatch(/^\*\*Check lww-lost-overwrites FAILED\*\*: 3 of 1462/);
    expect(lines[2]).toMatch(/^\*\*Check stale-reads could not decide \(unknown\)\*\*/);
    expect(lines[3]).toMatch(/^The scenario's verdict is fail/);
    expect(lines.join(' ')).not.toMatch(/siblings (FAILED|could not)/);
  });

  it('the reason the command exits 1 names the failed checks; an ok or unknown run gives none', () => {
    expect(scenarioFailure(measured({ scenario: failing }))).toBe(
      'scenario clock-skew (scenarios/clock-skew.yaml) failed — lost-writes: 3 of 1462 acknowledged writes lost (final reads on 20 keys; lww mode); lww-lost-overwrites: 3 of 1462 acknowledged writes (0.002052) silently lost to writes that completed before they started',
    );
    expect(scenarioFailure(measured({ scenario: scenario([{ checker: 'lost-writes', verdict: 'ok', summary: 'none lost' }]) }))).toBeNull();
    expect(scenarioFailure(measured({ scenario: scenario([{ checker: 'lost-writes', verdict: 'unknown', summary: '?' }]) }))).toBeNull();
    expect(scenarioFailure(measured())).toBeNull();
  });

  it('an ok run adds no check lines', () => {
    const lines = scenarioFinding(measured({ scenario: scenario([{ checker: 'lost-writes', verdict: 'ok', summary: 'none lost' }]) }));
    expect(lines.join(' ')).not.toMatch(/FAILED|unknown|verdict is/);
    // One version is "version", and the mean is over reads that found a value (the siblings checker's figure).
    expect(lines.join(' ')).toMatch(/Reads that found a value returned 1 version on average \(max 1\)/);
  });
});

describe('findings — ring balance against both seeds', () => {
  it('quotes seed 001\'s "under 5%" too: primary spread misses it, the as-one-of-N spread meets it', () => {
    const text = ringFinding(capacityModel(), measured()).join(' ');
    expect(text).toContain('seed 002\'s "under 10 %" holds for both');
    expect(text).toContain('Seed 001\'s stricter "standard deviation of under 5%" (for 150–256 vnodes) is met by one of them');
    expect(text).toContain('primary ownership (6.45 %) misses it');
    expect(text).toContain('the as-one-of-N-replicas spread (3.74 %) meets it');
  });
});

describe('findings — disk sizing includes space amplification', () => {
  it('gives a disk size per strategy from ring skew × measured space amplification, and size-tiered\'s merge headroom', () => {
    const text = storageFinding(capacityModel(), measured()).join(' ');
    // 600 GB × 1.117 = 670 GB of live data on the fullest node.
    expect(text).toContain('670 GB of live data rather than 600 GB');
    expect(text).toContain('670 GB × 1.21× = 811 GB under leveled compaction');
    expect(text).toContain('670 GB × 1.65× = 1.11 TB under size-tiered');
    expect(text).toContain('seed 001');
    expect(text).toContain('2 × 1.11 TB = 2.21 TB');
    expect(text).not.toMatch(/size disks for 670 GB, not 600 GB/);
  });
});

describe('findings — disk write bandwidth says what it includes', () => {
  it('uses the measured WAL and table factors, and names the manifest\'s share and why it is large here', () => {
    const text = compactionFinding(capacityModel(), measured()).join(' ');
    expect(text).not.toContain('(WAL included)');
    // 30 MB/s × (1.04 + 10.2) = 337 MB/s; × (1.04 + 4.52) = 167 MB/s.
    expect(text).toContain('337 MB/s at peak under leveled and 167 MB/s under size-tiered');
    expect(text).toContain('WAL 1.04× + flush and compaction 10.2× = 11.2×');
    expect(text).toContain('The engine\'s totals, 12.6× and 5.59×, also count manifest writes: 1.36× leveled');
    expect(text).toMatch(/manifest's share is large only at this scaled-down size/);
    expect(text).toContain('1,078 rewrites');
  });
});

describe('summary — the scenario line carries its own cluster size', () => {
  it('labels the scenario with its nodes and vnodes, not the model\'s 500', () => {
    const m = measured({ scenario: scenario([{ checker: 'lost-writes', verdict: 'fail', summary: 'lost' }]) });
    expect(scenarioLabel(m.scenario!)).toBe('clock-skew (5 nodes × 64 vnodes, N=3 R=2 W=2)');
    const line = summaryLines({ model: capacityModel(), measured: m, charts: [], command: 'x' }).find((l) => l.includes('scenario'))!;
    expect(line).toMatch(/^ {2}scenario {7}clock-skew \(5 nodes × 64 vnodes, N=3 R=2 W=2\): FAIL \(lost-writes FAILED\); get p99 1.57 ms/);
  });
});
