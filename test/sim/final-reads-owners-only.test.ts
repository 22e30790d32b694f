import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load';
import { runScenario } from '../../sim/run-scenario';
import { SimCluster } from '../../sim/cluster';

/**
 * The final read phase — the evidence lost-writes, lww-lost-overwrites and the convergence check judge — asks
 * each key's owners only (StorageNode.get with ownersOnly). Found by a scenario fuzzer: through the normal
 * read path, a final R = N read that met a slow owner asked a stand-in holding nothing after a quarter of the
 * request timeout, took its empty answer, and lost-writes reported "365 of 471 acknowledged writes lost" on a
 * run with no fault at all, while the owner held every one of them.
 */
const scenario = `
name: slow-links-no-faults
seed: 700122
duration: 18s
quiescence: 5s
cluster: { nodes: 2, vnodes: 1, n: 1, r: 1, w: 1, readRepair: false, conflict: vclock, requestTimeout: 100ms }
network:
  latency: { kind: lognormal, medianMs: 1, sigma: 1.5 }
workload:
  rate: 80
  clients: 2
  keys: 3
  distribution: zipf
  zipfExponent: 1.5
  mix: { get: 0.55, put: 0.45, delete: 0, cas: 0 }
  valueBytes: { min: 8, max: 8 }
  readModifyWrite: 1
checks: [lost-writes]
`;

describe('the final read phase', () => {
  it('judges what the owners hold, not what a stand-in answered for a slow one', () => {
    const { result } = runScenario(loadScenario(scenario, 'slow-links-no-faults.yaml'));
    const lost = result.checks.find((c) => c.checker === 'lost-writes')!;
    expect(lost.summary).toMatch(/^all \d+ acknowledged writes reflected/);
    expect(lost.verdict).toBe('ok');
  });

  it('an owners-only read never asks a stand-in: with an owner cut off, R = N fails instead', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 5, n: 3, r: 2, w: 2 });
    const owners = cluster.owners('k');
    expect(cluster.awaitPut(owners[0]!, 'k', 'v').status).toBe('ok');
    cluster.advance(1_000_000);
    cluster.network.partition([[owners[2]!]]);
    expect(cluster.awaitGet(owners[0]!, 'k', { r: 3 }).status).toBe('ok'); // a stand-in answers in its place
    const strict = cluster.await<{ status: string; replies: number }>((done) => cluster.get(owners[0]!, 'k', { r: 3, ownersOnly: true }, done));
    expect(strict.status).not.toBe('ok');
    expect(strict.replies).toBe(2);
  });

  it('waits for the owners longer than a request timeout shorter than the round trips', () => {
    // 0–200 ms links against a 100 ms timeout (found by the same fuzzer): an R = N read through the normal
    // deadline almost never completes, and with no final read nothing is judged or repaired.
    const slow = `
name: timeout-below-round-trips
seed: 4
duration: 8s
quiescence: 3s
cluster: { nodes: 3, vnodes: 16, n: 3, r: 1, w: 1, requestTimeout: 100ms }
network:
  latency: { kind: uniform, minMs: 0, maxMs: 200 }
workload: { rate: 40, clients: 4, keys: 20, mix: { get: 0.5, put: 0.5, delete: 0, cas: 0 } }
checks: [lost-writes]
`;
    const { result } = runScenario(loadScenario(slow, 'timeout-below-round-trips.yaml'));
    expect(result.figures.finalReads.fail).toBe(0);
    expect(result.figures.finalReads.ok).toBeGreaterThan(10);
    expect(result.figures.finalDivergentKeys).toBe(0);
  });
});
