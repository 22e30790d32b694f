import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBalance, type NodeLoad } from '../../sim/load-balance';

const load = (node: string, replicaOperations: number, storedBytes = 0): NodeLoad => ({ node, replicaOperations, storedBytes });

describe('loadBalance', () => {
  it('an even load has max/mean 1, no spread and nobody out of balance', () => {
    const even = loadBalance(['a', 'b', 'c', 'd'].map((node) => load(node, 100, 10)))!;
    expect(even.replicaOperations).toMatchObject({ min: 100, mean: 100, max: 100, maxOverMean: 1, coefficientOfVariation: 0, outOfBalance: 0 });
  });

  it('names the busiest node and counts nodes more than 15 % from the mean', () => {
    // mean 100: 70 and 130 are 30 % off, 110 is 10 % off.
    const spread = loadBalance([load('a', 70), load('b', 90), load('c', 110), load('d', 130)])!.replicaOperations;
    expect(spread).toMatchObject({ min: 70, mean: 100, max: 130, maxOverMean: 1.3, outOfBalance: 2, busiest: 'd' });
    expect(spread.coefficientOfVariation).toBeCloseTo(Math.sqrt((900 + 100 + 100 + 900) / 4) / 100, 4);
  });

  it('holds its definitions for any loads', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000_000), { minLength: 1, maxLength: 60 }), (values) => {
        const spread = loadBalance(values.map((v, i) => load(`n${i}`, v)))!.replicaOperations;
        expect(spread.min).toBeLessThanOrEqual(spread.max);
        expect(spread.mean).toBeGreaterThanOrEqual(spread.min - 1e-3);
        expect(spread.mean).toBeLessThanOrEqual(spread.max + 1e-3);
        expect(spread.outOfBalance).toBeLessThanOrEqual(values.length);
        if (spread.mean > 0) expect(spread.maxOverMean).toBeGreaterThanOrEqual(1 - 1e-4);
        expect(values[Number(spread.busiest.slice(1))]).toBe(spread.max);
      }),
    );
  });

  it('refuses a negative or non-finite load, naming the node, and has nothing to say about no nodes', () => {
    expect(() => loadBalance([load('a', 1), load('b', -1)])).toThrow(/node b/);
    expect(() => loadBalance([load('a', Number.NaN)])).toThrow(/node a/);
    expect(loadBalance([])).toBeNull();
  });
});

describe('SimCluster.nodeLoads', () => {
  it('counts every replica operation once, keeps what a crashed incarnation served, and reports stored bytes', async () => {
    const { SimCluster } = await import('../../sim/cluster');
    const cluster = new SimCluster({ seed: 3, nodes: 5 });
    for (let i = 0; i < 40; i++) expect(cluster.awaitPut(`n${i % 5}`, `k${i}`, 'v'.repeat(100)).status).toBe('ok');
    cluster.advance(1_000_000);
    const before = cluster.nodeLoads().find((load) => load.node === 'n2')!;
    expect(before.replicaOperations).toBeGreaterThan(0);
    cluster.crash('n2');
    cluster.restart('n2');
    cluster.advance(100_000);
    const loads = cluster.nodeLoads();
    expect(loads.map((load) => load.node).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(loads.find((load) => load.node === 'n2')!.replicaOperations).toBeGreaterThanOrEqual(before.replicaOperations);
    const totals = cluster.counterTotals();
    expect(loads.reduce((sum, load) => sum + load.replicaOperations, 0)).toBe(totals.replicaReads + totals.replicaWrites);
    for (const load of loads) expect(load.storedBytes).toBeGreaterThan(0);
  });
});

describe('figures.load in a run', () => {
  it('shows more tokens per node spreading replica work more evenly (vnodes 1 vs 128)', async () => {
    const { runScenario } = await import('../../sim/run-scenario');
    const { scenarioSchema } = await import('../../sim/scenario/schema');
    const run = (vnodes: number) =>
      runScenario(scenarioSchema.parse({
        name: 'balance', seed: 17, duration: '6s', quiescence: '2s',
        cluster: { nodes: 20, vnodes, n: 3, r: 2, w: 2 },
        workload: { rate: 400, clients: 20, keys: 5000, mix: { get: 0.5, put: 0.5 } },
        checks: ['lost-writes'],
      })).result.figures.load!;
    const one = run(1);
    const many = run(128);
    expect(one.nodes).toBe(20);
    expect(one.replicaOperations.maxOverMean).toBeGreaterThan(many.replicaOperations.maxOverMean);
    expect(one.replicaOperations.coefficientOfVariation).toBeGreaterThan(2 * many.replicaOperations.coefficientOfVariation);
    expect(one.replicaOperations.outOfBalance).toBeGreaterThan(many.replicaOperations.outOfBalance);
    expect(many.storedBytes.mean).toBeGreaterThan(0);
  });
});
