/**
 * bench:real — a 3-node local real cluster (3 node processes on loopback: files + fsync, TCP, HTTP), N=3
 * R=W=2, 1 KiB values, 64 connections.
 *
 *   npm run bench:real            (SECONDS=8 per phase by default; CONNECTIONS=64; ETCD=0 skips etcd)
 *   DYNALAB_NODE_ARGS=--trace-gc NODE_LOG=/tmp/nodes.log ETCD=0 npm run bench:real   (the nodes' GC pauses)
 *
 * Phases:
 *   1. closed loop, 64 requests in flight over keep-alive connections (undici pools, spread over the three nodes):
 *      PUTs of fresh keys for SECONDS (maximum throughput), then GETs of those keys for SECONDS;
 *   2. open loop at half of each measured maximum (fixed-rate arrivals), to read p99 at half load — the
 *      latency a service sees when it is not saturated (closed-loop latency at saturation is mostly queueing).
 *      Each open-loop phase first runs WARM_UP=1 second at its rate, answered but not counted: a phase starts
 *      right after a saturating one, and in LATENCY_CSV dumps most of a GET phase's slow requests came in its
 *      first half second (a backlog built while the cluster switched from writes to reads, drained slowly at
 *      high utilisation) — the transition, not the steady half load the target is about. The warm-up's own
 *      p99 is printed beside the phase, so nothing is hidden.
 * A reference etcd cluster runs under the same load if `etcd` is on the PATH (the script never installs it;
 * `apt-get install etcd-server`), unless ETCD=0 (quick iterations on dynalab alone).
 *
 * The load generator runs in this process, on the same machine as the three nodes: on a small machine the
 * figures are shared-CPU figures, and the script prints the core count so they can be read as such. The npm
 * script gives it the nodes' old-generation flag (see SERVER_NODE_FLAGS in real/local-cluster.ts): its own full
 * collections would count as the store's latency.
 *
 * Each phase line gives the servers' CPU per operation and their context switches per operation. Read the
 * half-load p99 with them: per operation a PUT costs more at half load than at the maximum (fewer requests
 * share each wake-up, fsync and write), so "half load" keeps more than half of two cores busy.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool, type Dispatcher } from 'undici';
import { EventLoopWatch } from '../real/event-loop-watch';
import { DynalabClient } from '../real/client';
import { LocalCluster, nodeLogLine } from '../real/local-cluster';

const SECONDS = Number(process.env.SECONDS ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const WARM_UP_SECONDS = Number(process.env.WARM_UP ?? 1);
const VALUE = Buffer.alloc(1024, 'v');

interface PhaseResult {
  name: string;
  ok: number;
  errors: number;
  /** e.g. "3× HTTP 503" */
  errorKinds: string;
  seconds: number;
  latenciesMicros: Float64Array;
  /** Open loop: the warm-up before the measured seconds (same rate, not in the figures above); `answered` counts its ok requests, as `ok` does. */
  warmUp?: { answered: number; p99Micros: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * How one store is spoken to. dynalab: its own HTTP API (PUT → 204, GET → 200). etcd: the v3 JSON gateway
 * (`POST /v3/kv/put`, `POST /v3/kv/range`, keys and values base64), whose reads are linearizable by default —
 * a quorum read, the closest thing to dynalab's R=2.
 */
interface Target {
  name: string;
  okStatus: { PUT: number; GET: number };
  request(pool: Pool, method: 'PUT' | 'GET', key: string): Promise<number>;
  /** Server-side view of one phase, where the store reports one (dynalab's GET /v1/status?reset=1). */
  serverWindow?: { reset(endpoints: URL[]): Promise<void>; describe(endpoints: URL[]): Promise<string> };
}

/** The generator's own event loop: its stalls are in every latency it measures (it shares the cores). */
const generatorLoop = new EventLoopWatch({});

interface NodeStatusWindow {
  requests: { latency: { p99Ms: number; maxMs: number } };
  eventLoop: { p99Ms: number; maxMs: number };
}

async function nodeStatus(endpoint: URL, reset: boolean): Promise<NodeStatusWindow> {
  return (await new DynalabClient(endpoint.origin).status({ reset })) as unknown as NodeStatusWindow;
}

/** Keep-alive pools to every endpoint, CONNECTIONS in all. */
function poolsFor(endpoints: URL[]): Pool[] {
  return endpoints.map((endpoint) => new Pool(endpoint.origin, { connections: Math.ceil(CONNECTIONS / endpoints.length), pipelining: 1 }));
}

/**
 * One request; resolves with the status code (0 when the connection failed). The HTTP client is undici's
 * connection pool, driven through its low-level `dispatch` with a handler that keeps only the status and
 * drops the body as it arrives: no response stream, no promise per body. On a 2-core machine where the
 * generator shares the cores with the servers, every µs it spends per request is taken from the servers —
 * and more from a store with a heavier API (etcd's JSON) than from one with a light one.
 */
class StatusOnly implements Dispatcher.DispatchHandler {
  // undici 7's Pool.dispatch still takes the callback-style handler (the controller-style one needs an
  // interceptor chain); these are its documented methods.
  private status = 0;
  constructor(private readonly resolve: (status: number) => void) {}
  onConnect(): void {}
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    this.resolve(this.status);
  }
  onError(): void {
    this.resolve(0);
  }
}

function send(pool: Pool, method: Dispatcher.HttpMethod, pathname: string, body: Buffer | undefined, contentType: string): Promise<number> {
  return new Promise((resolve) => {
    pool.dispatch({ method, path: pathname, body, headers: body ? { 'content-type': contentType } : undefined }, new StatusOnly(resolve));
  });
}

const DYNALAB: Target = {
  name: 'dynalab',
  okStatus: { PUT: 204, GET: 200 },
  request: (pool, method, key) =>
    send(pool, method, `/v1/keys/${key}${method === 'PUT' ? '?w=2' : '?r=2'}`, method === 'PUT' ? VALUE : undefined, 'application/octet-stream'),
  // Where the tail comes from: server-side latency (request parsed → answer written) and event-loop delay of
  // the slowest node, beside the generator's own loop delay.
  serverWindow: {
    reset: async (endpoints) => {
      await Promise.all(endpoints.map((endpoint) => nodeStatus(endpoint, true)));
    },
    describe: async (endpoints) => {
      const all = await Promise.all(endpoints.map((endpoint) => nodeStatus(endpoint, false)));
      const worst = (f: (s: NodeStatusWindow) => number): string => Math.max(...all.map(f)).toFixed(1);
      const generator = generatorLoop.delay();
      return `      server side (worst node): p99 ${worst((s) => s.requests.latency.p99Ms)} ms, max ${worst((s) => s.requests.latency.maxMs)} ms; ` +
        `node event loop delay p99 ${worst((s) => s.eventLoop.p99Ms)} ms, max ${worst((s) => s.eventLoop.maxMs)} ms; ` +
        `generator loop delay p99 ${generator.p99Ms.toFixed(1)} ms, max ${generator.maxMs.toFixed(1)} ms`;
    },
  },
};

const VALUE_BASE64 = VALUE.toString('base64');
const ETCD: Target = {
  name: 'etcd',
  okStatus: { PUT: 200, GET: 200 },
  request: (pool, method, key) => {
    const k = Buffer.from(key).toString('base64');
    return method === 'PUT'
      ? send(pool, 'POST', '/v3/kv/put', Buffer.from(JSON.stringify({ key: k, value: VALUE_BASE64 })), 'application/json')
      : send(pool, 'POST', '/v3/kv/range', Buffer.from(JSON.stringify({ key: k })), 'application/json');
  },
};

class Recorder {
  private latencies: number[] = [];
  ok = 0;
  errors = 0;
  readonly byStatus = new Map<number, number>();
  record(startedNs: bigint, status: number, expectOk: (status: number) => boolean): void {
    if (expectOk(status)) {
      this.ok++;
      this.latencies.push(Number(process.hrtime.bigint() - startedNs) / 1000);
    } else {
      this.errors++;
      this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    }
  }
  result(name: string, seconds: number): PhaseResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const kinds = [...this.byStatus].map(([status, count]) => `${count}× ${status === 0 ? 'no answer' : status === -1 ? 'shed (1024 in flight)' : `HTTP ${status}`}`).join(', ');
    return { name, ok: this.ok, errors: this.errors, errorKinds: kinds, seconds, latenciesMicros: sorted };
  }
}

/** Closed loop: `connections` workers, each sending its next request as soon as the previous one answered. */
async function closedLoop(target: Target, name: string, pools: Pool[], method: 'PUT' | 'GET', keyFor: (worker: number, seq: number) => string, seconds: number, written?: string[]): Promise<PhaseResult> {
  const recorder = new Recorder();
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, worker) => {
      const slot = worker % pools.length;
      for (let seq = 0; Date.now() < deadline; seq++) {
        const t0 = process.hrtime.bigint();
        const key = keyFor(worker, seq);
        const status = await target.request(pools[slot]!, method, key);
        recorder.record(t0, status, (s) => s === target.okStatus[method]);
        if (method === 'PUT' && status === target.okStatus.PUT) written?.push(key);
      }
    }),
  );
  return recorder.result(name, Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * LATENCY_CSV=FILE writes every open-loop request as `phase,node,due_ms,latency_ms,status` (due time from the
 * phase's start; node = the endpoint whose pool sent it), to see whether slow requests come together (a stall
 * of the cluster or of one node) or spread out (queueing on a busy machine).
 */
const latencyLog: string[] | undefined = process.env.LATENCY_CSV ? ['phase,node,due_ms,latency_ms,status'] : undefined;

/**
 * Open loop: requests arrive at `rate` per second regardless of answers (at most 1024 in flight), for
 * WARM_UP_SECONDS (recorded apart) and then `seconds` (the phase's figures).
 */
async function openLoop(target: Target, name: string, pools: Pool[], method: 'PUT' | 'GET', keyFor: (seq: number) => string, rate: number, seconds: number): Promise<PhaseResult> {
  const recorder = new Recorder();
  const warmUp = new Recorder();
  const started = process.hrtime.bigint();
  const warmUpCount = Math.floor(rate * WARM_UP_SECONDS);
  const total = warmUpCount + Math.floor(rate * seconds);
  let measuredFrom = started;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  for (let seq = 0; seq < total; seq++) {
    const dueNs = started + BigInt(Math.round((seq / rate) * 1e9));
    const nowNs = process.hrtime.bigint();
    if (dueNs > nowNs + 1_000_000n) await new Promise((resolve) => setTimeout(resolve, Number(dueNs - nowNs) / 1e6));
    if (seq === warmUpCount) measuredFrom = dueNs;
    const into = seq < warmUpCount ? warmUp : recorder;
    if (inFlight >= 1024) {
      into.record(dueNs, -1, () => false); // the cluster is 1024 requests behind: shed, counted as an error
      continue;
    }
    inFlight++;
    const slot = seq % pools.length;
    // Latency is measured from when the request was due, so a generator that falls behind is not flattered.
    pending.push(target.request(pools[slot]!, method, keyFor(seq)).then((status) => {
      inFlight--;
      into.record(dueNs, status, (s) => s === target.okStatus[method]);
      latencyLog?.push(`${name},${slot},${(Number(dueNs - started) / 1e6).toFixed(3)},${(Number(process.hrtime.bigint() - dueNs) / 1e6).toFixed(3)},${status}`);
    }));
  }
  await Promise.all(pending);
  const warm = warmUp.result('warm-up', WARM_UP_SECONDS);
  return { ...recorder.result(name, Number(process.hrtime.bigint() - measuredFrom) / 1e9), warmUp: { answered: warm.ok, p99Micros: percentile(warm.latenciesMicros, 0.99) } };
}

function line(result: PhaseResult): string {
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const l = result.latenciesMicros;
  const rate = result.ok / result.seconds;
  return `  ${result.name.padEnd(28)} ${(rate >= 1000 ? `${(rate / 1000).toFixed(2)} K` : rate.toFixed(0)).padStart(8)}/s   p50 ${ms(percentile(l, 0.5)).padStart(9)}   p99 ${ms(percentile(l, 0.99)).padStart(9)}   p999 ${ms(percentile(l, 0.999)).padStart(9)}   (${result.ok} ok, ${result.errors} errors${result.errors ? `: ${result.errorKinds}` : ''})` +
    (result.warmUp ? `, after a ${WARM_UP_SECONDS} s warm-up at the same rate (p99 ${ms(result.warmUp.p99Micros)}, not counted)` : '');
}

/**
 * CPU time the given processes have used so far, in µs — user and system (kernel: syscalls, fsync, TCP) —
 * from /proc/<pid>/stat (Linux; NaN elsewhere). Per-operation CPU is the figure that survives a shared,
 * noisy machine: wall-clock throughput counts other processes' turns, CPU time does not. Resolution is one
 * clock tick (10 ms), fine over seconds.
 */
function cpuMicros(pids: number[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) * (1e6 / 100); // utime, in USER_HZ = 100 ticks per second
      system += Number(fields[12]) * (1e6 / 100); // stime
    } catch {
      return { user: Number.NaN, system: Number.NaN };
    }
  }
  return { user, system };
}

/**
 * Context switches the given processes' threads have made so far (voluntary + involuntary, from
 * /proc/<pid>/task/<tid>/status; NaN off Linux). Per operation it shows how much batching a load allows: at
 * saturation a woken thread finds many requests waiting, at half load each request wakes threads of its own —
 * which is why a PUT costs more CPU at half load than at the maximum.
 */
function contextSwitches(pids: number[]): number {
  let total = 0;
  try {
    for (const pid of pids) {
      for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
        const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(match[1]);
      }
    }
  } catch {
    return Number.NaN;
  }
  return total;
}

/** "server CPU 242 µs/op (user 150, system 92)" for a phase, or '' where /proc is not available. */
function cpuPerOp(before: ServerUsage, after: ServerUsage, ops: number): string {
  const user = (after.user - before.user) / Math.max(1, ops);
  const system = (after.system - before.system) / Math.max(1, ops);
  const switches = (after.switches - before.switches) / Math.max(1, ops);
  return Number.isFinite(user + system) ? `   server CPU ${(user + system).toFixed(0)} µs/op (user ${user.toFixed(0)}, system ${system.toFixed(0)}, ${switches.toFixed(1)} context switches/op)` : '';
}

interface ServerUsage {
  user: number;
  system: number;
  switches: number;
}

function serverUsage(pids: number[]): ServerUsage {
  return { ...cpuMicros(pids), switches: contextSwitches(pids) };
}

/** The generator's CPU per operation over a phase (this process: the HTTP client and the bookkeeping). */
function generatorCpuPerOp(before: NodeJS.CpuUsage, ops: number): string {
  const used = process.cpuUsage(before);
  return `, generator ${((used.user + used.system) / Math.max(1, ops)).toFixed(0)} µs/op`;
}

/** The four phases against one store; prints a line per phase and returns the closed-loop maxima. */
async function runPhases(target: Target, endpoints: URL[], pools: Pool[], pids: number[]): Promise<{ puts: PhaseResult; gets: PhaseResult }> {
  // Warm-up: connections, JIT, WAL files.
  await closedLoop(target, 'warm-up', pools, 'PUT', (w, s) => `warm:${w}:${s}`, 1);
  const written: string[] = [];
  // A phase, printed with the CPU the store and the generator spent per operation in it.
  const measured = async (run: () => Promise<PhaseResult>): Promise<PhaseResult> => {
    const serverBefore = serverUsage(pids);
    const generatorBefore = process.cpuUsage();
    const result = await run();
    // CPU is read around the whole phase, warm-up included, so it is divided by every request answered in it.
    const answered = result.ok + (result.warmUp?.answered ?? 0);
    console.log(line(result) + cpuPerOp(serverBefore, serverUsage(pids), answered) + generatorCpuPerOp(generatorBefore, answered));
    return result;
  };
  const puts = await measured(() => closedLoop(target, `${target.name} PUT (closed loop, max)`, pools, 'PUT', (w, s) => `bench:${w}:${s}`, SECONDS, written));
  if (written.length === 0) throw new Error(`${target.name}: no PUT succeeded (${puts.errorKinds})`);
  // GETs read keys that were acknowledged, in a scattered order.
  const pick = (i: number) => written[(i * 7919) % written.length]!;
  const gets = await measured(() => closedLoop(target, `${target.name} GET (closed loop, max)`, pools, 'GET', (w, s) => pick(w * 100_003 + s), SECONDS));
  // An open-loop phase, printed with the nodes' own view of it (server-side latency, event-loop delay).
  const window = async (run: () => Promise<PhaseResult>): Promise<PhaseResult> => {
    await target.serverWindow?.reset(endpoints);
    generatorLoop.reset();
    const result = await measured(run);
    const server = (await target.serverWindow?.describe(endpoints)) ?? '';
    if (server) console.log(server);
    return result;
  };
  const halfPuts = await window(() => openLoop(target, `${target.name} PUT at half max (open)`, pools, 'PUT', (s) => `half:${s}`, puts.ok / puts.seconds / 2, Math.min(SECONDS, 5)));
  const halfGets = await window(() => openLoop(target, `${target.name} GET at half max (open)`, pools, 'GET', (s) => pick(s * 13 + 5), gets.ok / gets.seconds / 2, Math.min(SECONDS, 5)));
  const p99Half = Math.max(percentile(halfPuts.latenciesMicros, 0.99), percentile(halfGets.latenciesMicros, 0.99)) / 1000;
  console.log(`  ${target.name} p99 at half load ${p99Half.toFixed(2)} ms${target === DYNALAB ? ` (target ≤ 10 ms): ${p99Half <= 10 ? 'met' : 'NOT met'}` : ''}`);
  return { puts, gets };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A 3-member etcd cluster on loopback (each member fsyncs its WAL, as dynalab does), under the same load. */
async function runEtcd(binary: string): Promise<{ puts: PhaseResult; gets: PhaseResult }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-bench-etcd-'));
  const members = [];
  for (let i = 0; i < 3; i++) members.push({ name: `e${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const children: ChildProcess[] = members.map((m) =>
    spawn(binary, [
      '--name', m.name, '--data-dir', path.join(dir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--log-level', 'error',
    ], { stdio: 'ignore' }),
  );
  const endpoints = members.map((m) => new URL(`http://127.0.0.1:${m.client}`));
  const pools = poolsFor(endpoints);
  try {
    // Wait for a leader: a put answers 200 once the cluster has one.
    const deadline = Date.now() + 20_000;
    while ((await ETCD.request(pools[0]!, 'PUT', 'ready')) !== 200) {
      if (Date.now() > deadline) throw new Error('etcd cluster did not elect a leader within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`  ${execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]} ×3 on loopback, same load (linearizable reads):`);
    return await runPhases(ETCD, endpoints, pools, children.map((child) => child.pid ?? -1));
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalab-bench-real-'));
  // NODE_LOG=file keeps the nodes' log lines (with DYNALAB_NODE_ARGS=--trace-gc: their GC pauses).
  const logFile = process.env.NODE_LOG;
  // One stream for the whole run: the generator's own event loop is part of what is measured.
  const logStream = logFile === undefined ? null : fs.createWriteStream(logFile, { flags: 'a' });
  const onLog = logStream === null ? (): void => {} : (id: string, line: string): void => void logStream.write(nodeLogLine(id, line));
  const cluster = await LocalCluster.prepare({ dataDir, nodes: 3, n: 3, r: 2, w: 2, onLog });
  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    await cluster.stopAll(5_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await cluster.startAll();
    const endpoints = cluster.endpoints().map((e) => new URL(e));
    const pools = poolsFor(endpoints);
    console.log(`bench:real — 3 node processes on loopback, N=3 R=2 W=2, 1 KiB values, ${CONNECTIONS} connections, ${SECONDS} s per phase`);
    console.log(`  node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}); the load generator shares them with the nodes`);
    console.log(`  every acknowledged PUT was fsynced (WAL group commit) on 2 of 3 replicas`);
    console.log(`  load average before the run ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (anything else running skews these figures)`);
    const ours = await runPhases(DYNALAB, endpoints, pools, cluster.nodes.map((node) => node.process?.pid ?? -1));
    let etcd: string | null = null;
    try {
      etcd = execFileSync('which', ['etcd'], { encoding: 'utf8' }).trim() || null;
    } catch {
      etcd = null;
    }
    await Promise.all(pools.map((pool) => pool.destroy()));
    if (process.env.ETCD === '0') {
      console.log('  etcd comparison skipped (ETCD=0)');
    } else if (etcd === null) {
      console.log('  etcd comparison skipped: `etcd` is not installed on this machine (apt-get install etcd-server to enable it;');
      console.log('  the bench never installs it). Reference measured once elsewhere with wrk: etcd 3.4 ×3 4.4 K puts/s (p99 37 ms),');
      console.log('  8.7 K gets/s (p99 21 ms) — a different machine and load generator, so no ratio is printed.');
    } else {
      await cleanup(); // one cluster at a time on a 2-core machine
      const theirs = await runEtcd(etcd);
      const ratio = (a: PhaseResult, b: PhaseResult) => (a.ok / a.seconds / (b.ok / b.seconds)).toFixed(2);
      console.log(`  ratio dynalab / etcd: puts ${ratio(ours.puts, theirs.puts)}×, gets ${ratio(ours.gets, theirs.gets)}×   (target ≥ 2×)`);
    }
  } finally {
    await cleanup();
    generatorLoop.stop();
    logStream?.end();
    if (latencyLog !== undefined) fs.writeFileSync(process.env.LATENCY_CSV!, latencyLog.join('\n') + '\n');
  }
}

await main();
