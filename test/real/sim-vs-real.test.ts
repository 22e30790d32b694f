import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { DynalabHttpError } from '../../real/client';
import { decodeContext } from '../../core/versioning';
import { SimCluster } from '../../sim/cluster';
import { startCluster, text, type TestCluster } from './harness';

// The seam both ways: one short workload, run once on the simulator (virtual time, simulated disks and
// network) and once for real (files, fsync, TCP, HTTP), must leave the same final state — the same values and
// siblings per key, the same causal contexts, the same replicas holding each key. Operations run one at a
// time, so the outcome does not depend on timing; what could differ is only how the two worlds build nodes.

type Op =
  | { f: 'put'; via: number; key: string; value: string; withContext: boolean }
  | { f: 'delete'; via: number; key: string }
  | { f: 'cas'; via: number; key: string; value: string; staleEtag: boolean };

function workload(seed: string, count: number): Op[] {
  const random = seedrandom.alea(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const via = pick(3);
    const key = `k${pick(8)}`;
    const roll = random();
    if (roll < 0.45) ops.push({ f: 'put', via, key, value: `v${i}`, withContext: true });
    else if (roll < 0.7) ops.push({ f: 'put', via, key, value: `blind${i}`, withContext: false }); // siblings
    else if (roll < 0.8) ops.push({ f: 'delete', via, key });
    else ops.push({ f: 'cas', via, key, value: `cas${i}`, staleEtag: random() < 0.3 });
  }
  return ops;
}

const OPS = workload('sim-vs-real', 80);
const KEYS = Array.from({ length: 8 }, (_, i) => `k${i}`);
/** Which actors (node incarnations) a context has seen, as `id#epoch`. The counters are derived from the node's
 * clock (virtual in one world, wall in the other) and each incarnation's random nonce (`.xxxxxxxxxx`) is drawn
 * from a seeded stream in one and the OS in the other, so both necessarily differ and are left out. */
const causal = (bytes: Uint8Array, key: string) => decodeContext(bytes, new TextEncoder().encode(key)).map((e) => e.actor.replace(/\.[0-9a-z]{10}$/, '')).join(' ');

interface Outcome {
  log: string[];
  final: Record<string, { values: string[]; context: string }>;
}

function runSimulated(): Outcome {
  const sim = new SimCluster({ seed: 5, nodes: 3, n: 3, r: 2, w: 2, vnodes: 64, conflict: 'vclock' });
  const id = (i: number) => `n${i}`;
  const log: string[] = [];
  const previousEtag = new Map<string, string>();
  for (const op of OPS) {
    const current = sim.awaitGet(id(op.via), op.key, { r: 3 });
    if (op.f === 'put') {
      const result = sim.awaitPut(id(op.via), op.key, op.value, op.withContext ? { context: current.context } : {});
      log.push(`${op.f} ${op.key} ${result.status}`);
    } else if (op.f === 'delete') {
      const result = sim.awaitDelete(id(op.via), op.key, { context: current.context });
      log.push(`${op.f} ${op.key} ${result.status}`);
    } else {
      const etag = op.staleEtag ? (previousEtag.get(op.key) ?? 'stale') : current.etag;
      const result = sim.awaitCas(id(op.via), op.key, op.value, etag);
      log.push(`${op.f} ${op.key} ${result.status === 'ok' ? 'ok' : result.code}`);
    }
    previousEtag.set(op.key, current.etag);
  }
  sim.advance(1_000_000);
  const final: Outcome['final'] = {};
  for (const key of KEYS) {
    const got = sim.awaitGet('n0', key, { r: 3 });
    final[key] = { values: got.strings, context: causal(got.context, key) };
  }
  return { log, final };
}

let cluster: TestCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

async function runReal(): Promise<Outcome> {
  cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, vnodes: 64, conflict: 'vclock' });
  const clients = cluster.clients;
  const log: string[] = [];
  const previousEtag = new Map<string, string>();
  for (const op of OPS) {
    const client = clients[op.via]!;
    const current = await client.get(op.key, { r: 3 });
    if (op.f === 'put') {
      await client.put(op.key, op.value, op.withContext ? { context: current.context } : {});
      log.push(`${op.f} ${op.key} ok`);
    } else if (op.f === 'delete') {
      await client.delete(op.key, { context: current.context });
      log.push(`${op.f} ${op.key} ok`);
    } else {
      const etag = op.staleEtag ? (previousEtag.get(op.key) ?? 'stale') : current.etag;
      try {
        await client.put(op.key, op.value, { ifMatch: etag });
        log.push(`${op.f} ${op.key} ok`);
      } catch (error) {
        if (!(error instanceof DynalabHttpError) || error.status !== 412) throw error;
        log.push(`${op.f} ${op.key} conflict`);
      }
    }
    previousEtag.set(op.key, current.etag);
  }
  const final: Outcome['final'] = {};
  for (const key of KEYS) {
    const got = await clients[0]!.get(key, { r: 3 });
    final[key] = { values: got.values.map(text).sort(), context: causal(new Uint8Array(Buffer.from(got.context, 'base64')), key) };
  }
  return { log, final };
}

describe('the same workload in the simulator and for real', () => {
  it('ends in the same state: values, siblings, contexts, placement', async () => {
    const simulated = runSimulated();
    const real = await runReal();
    expect(real.log).toEqual(simulated.log);
    expect(real.final).toEqual(simulated.final);
    // The workload is not trivial: it made siblings, deleted keys, and had cas both succeed and conflict.
    expect(Object.values(simulated.final).some((k) => k.values.length > 1)).toBe(true);
    expect(simulated.log.filter((l) => l.endsWith('conflict')).length).toBeGreaterThan(0);
    expect(simulated.log.filter((l) => l.startsWith('cas') && l.endsWith('ok')).length).toBeGreaterThan(0);
    // Same ring on both sides: every key's replicas are the same nodes.
    const sim = new SimCluster({ seed: 5, nodes: 3, n: 2, r: 1, w: 1, vnodes: 64 });
    const realNode = cluster!.nodes[0]!.node;
    for (let i = 0; i < 50; i++) {
      const key = `placement:${i}`;
      expect(realNode.preferenceList(new TextEncoder().encode(key)).slice(0, 2)).toEqual(sim.owners(key));
    }
  });
});
