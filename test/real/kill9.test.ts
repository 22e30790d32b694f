import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynalabClient, DynalabConnectionError, DynalabHttpError } from '../../real/client';
import { LocalCluster } from '../../real/local-cluster';
import { tempDir, text } from './harness';

// Real child processes (node bin/dynalab.js serve), killed with SIGKILL under a W=2 write load and restarted on
// the same data directory: every write that was acknowledged must be readable afterwards at R=2. An ack means
// the WAL fsync on W replicas completed, so a kill -9 (which loses only what was not fsynced) cannot lose it.
// DYNALAB_LONG=1 (npm run test:long) runs more kill points.

const ROUNDS = process.env.DYNALAB_LONG === '1' ? 12 : 3;
const WRITERS = 8;

let cluster: LocalCluster;
let root: string;
const logs: string[] = [];

beforeAll(async () => {
  root = tempDir('kill9');
  cluster = await LocalCluster.prepare({ dataDir: root, nodes: 3, n: 3, r: 2, w: 2, onLog: (id, line) => logs.push(`${id} ${line}`) });
  await cluster.startAll();
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll(2_000);
  fs.rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A read at R=2 may time out (503) while a just-restarted node reconnects or the machine is busy: that is
 * unavailability, not loss, so it is retried. Only a successful read that lacks the value counts as missing.
 */
async function readWithRetry(client: DynalabClient, key: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.get(key, { r: 2 });
    } catch (error) {
      const transient = (error instanceof DynalabHttpError && error.status === 503) || error instanceof DynalabConnectionError;
      if (!transient || attempt === 10) throw error;
      await sleep(100 * attempt);
    }
  }
}

describe('kill -9 under a W=2 write load', () => {
  it(`loses no acknowledged write across ${ROUNDS} kill/restart points`, async () => {
    const clients = cluster.endpoints().map((e) => new DynalabClient(e, { timeoutMs: 3000 }));
    const acked = new Map<string, string>();
    let attempted = 0;
    let failed = 0;
    let running = true;
    const writer = async (w: number) => {
      for (let seq = 0; running; seq++) {
        const key = `w${w}:${seq}`;
        const value = `value-${w}-${seq}-${'x'.repeat(seq % 200)}`;
        attempted++;
        try {
          await clients[(w + seq) % clients.length]!.put(key, value, { w: 2 });
          acked.set(key, value);
        } catch (error) {
          // Refused (node down), timed out or quorum not met: not acknowledged, so nothing is promised.
          if (!(error instanceof DynalabHttpError) && !(error instanceof DynalabConnectionError)) throw error;
          failed++;
          await sleep(5);
        }
      }
    };
    const load = Array.from({ length: WRITERS }, (_, w) => writer(w));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const victim = round % 3;
        await sleep(150 + ((round * 97) % 250)); // a different point in the write stream each round
        await cluster.kill(victim, 'SIGKILL');
        await sleep(200);
        await cluster.start(victim);
      }
      await sleep(200);
    } finally {
      running = false;
      await Promise.all(load);
    }
    expect(acked.size).toBeGreaterThan(100);
    let missing = 0;
    const problems: string[] = [];
    const keys = [...acked.keys()];
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(
        keys.slice(i, i + 32).map(async (key, j) => {
          const got = await readWithRetry(clients[(i + j) % 3]!, key);
          const values = got.values.map(text);
          if (!values.includes(acked.get(key)!)) {
            missing++;
            if (problems.length < 5) problems.push(`${key}: expected ${acked.get(key)}, read ${JSON.stringify(values)}`);
          }
        }),
      );
    }
    console.log(`kill -9: ${ROUNDS} kills, ${attempted} writes attempted, ${acked.size} acknowledged, ${failed} not acknowledged; ${missing} acknowledged writes missing`);
    expect(problems, logs.slice(-20).join('\n')).toEqual([]);
    expect(missing).toBe(0);
  }, 120_000);
});
