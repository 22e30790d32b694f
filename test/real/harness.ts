import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DynalabClient } from '../../real/client';
import { freePorts } from '../../real/free-port';
import { ConfigError, nodeConfigSchema, parseNodeConfig, type RealNodeConfig } from '../../real/node-config';
import { startRealNode, type RealNode, type StartOptions } from '../../real/node-process';

/**
 * In-process real clusters for tests: several real nodes (FileDisk on a temp dir, TCP on random loopback
 * ports, HTTP) in the test process. Real sockets and fsyncs, but one process — fast, and easy to inspect.
 */
export const SECRET = 'test-secret-0123456789';

export interface ClusterOptions {
  nodes: number;
  n?: number;
  r?: number;
  w?: number;
  conflict?: 'vclock' | 'lww';
  vnodes?: number;
  token?: string;
  requestTimeoutMs?: number;
  maxInFlightRequests?: number;
}

export interface TestCluster {
  configs: RealNodeConfig[];
  nodes: (RealNode | null)[];
  clients: DynalabClient[];
  root: string;
  log: string[];
  start(index: number): Promise<RealNode>;
  stop(index: number): Promise<void>;
  close(): Promise<void>;
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dynalab-${label}-`));
}

export function clusterConfigs(root: string, ports: number[], options: ClusterOptions): RealNodeConfig[] {
  const ids = Array.from({ length: options.nodes }, (_, i) => `n${i}`);
  const members = ids.map((id, i) => ({ id, tcp: `127.0.0.1:${ports[2 * i + 1]}`, http: `127.0.0.1:${ports[2 * i]}` }));
  return ids.map((id, i) =>
    nodeConfigSchema.parse({
      id,
      listen: { http: members[i]!.http, tcp: members[i]!.tcp },
      dataDir: path.join(root, id),
      secret: SECRET,
      ...(options.token ? { token: options.token } : {}),
      members,
      n: options.n ?? Math.min(3, options.nodes),
      r: options.r ?? Math.min(2, options.nodes),
      w: options.w ?? Math.min(2, options.nodes),
      conflict: options.conflict ?? 'vclock',
      vnodes: options.vnodes ?? 64,
      // Generous: the machine running the tests may be busy, and a timeout here is a flaky test, not a finding.
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      ...(options.maxInFlightRequests !== undefined ? { maxInFlightRequests: options.maxInFlightRequests } : {}),
    }),
  );
}

export async function startCluster(options: ClusterOptions, startOptions: StartOptions = {}): Promise<TestCluster> {
  const root = tempDir('cluster');
  const ports = await freePorts(options.nodes * 2);
  const configs = clusterConfigs(root, ports, options);
  const log: string[] = [];
  const logger = { info: (m: string) => log.push(`info ${m}`), warn: (m: string) => log.push(`warn ${m}`) };
  const nodes: (RealNode | null)[] = configs.map(() => null);
  const cluster: TestCluster = {
    configs,
    nodes,
    clients: configs.map((c) => new DynalabClient(c.listen.http, options.token ? { token: options.token } : {})),
    root,
    log,
    async start(index) {
      const node = await startRealNode(configs[index]!, { logger, backoff: { initialMs: 20, maxMs: 200 }, ...startOptions });
      nodes[index] = node;
      return node;
    },
    async stop(index) {
      await nodes[index]?.stop();
      nodes[index] = null;
    },
    async close() {
      await Promise.all(nodes.map((_, i) => cluster.stop(i)));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  await Promise.all(configs.map((_, i) => cluster.start(i)));
  return cluster;
}

/** One cluster for a whole test file: started before its tests and closed after them; call the result inside a test. */
export function clusterForFile(options: ClusterOptions): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterAll(async () => {
    await cluster?.close();
  });
  return () => {
    if (cluster === undefined) throw new Error('the file\'s cluster is not started yet (use it inside a test)');
    return cluster;
  };
}

/** The HTTP port of node `index` of a test cluster. */
export function httpPort(cluster: TestCluster, index: number): number {
  return Number(cluster.configs[index]!.listen.http.split(':')[1]);
}

export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as a JSON error (throws if it is not JSON). */
  json: () => { error: string; code: string };
}

/** One HTTP request on a fresh connection, with nothing added: for the API's edges (bad escapes, odd headers). */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, json: () => JSON.parse(all.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The problems a node config file is refused with ([] when it is accepted). */
/**
 * Writes `data` on a fresh connection to `port` (and `afterFirstAnswer`, if given, once the first bytes come
 * back: a body sent after its `100 Continue`); collects what comes back until the node closes the connection,
 * or for `ms` at most (then `closed` is false).
 */
export async function rawExchange(port: number, data: string, ms = 1500, afterFirstAnswer?: string): Promise<{ answer: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.on('error', () => {}); // a reset after the answer: what was read is what counts
  socket.on('data', (chunk: Buffer) => {
    const first = answer === '';
    answer += chunk.toString('latin1');
    if (first && afterFirstAnswer !== undefined) socket.write(afterFirstAnswer);
  });
  socket.write(data);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { answer, closed };
}

export function configProblems(text: string): string[] {
  try {
    parseNodeConfig(text, 'node-a.yaml', '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
