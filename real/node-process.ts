import type { RecoveryReport } from '../core/storage';
import { createHash } from 'node:crypto';
import type * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NodeEnvironment, Random } from '../core/env';
import { nativeCrc32 } from './native-crc32';
import { StorageNode, type NodeConfig } from '../core/node';
import { FileDisk } from './file-disk';
import { clientConnectionCap, openFileLimit } from './fd-limit';
import { createHttpApi } from './http-server';
import { splitHostPort, type RealNodeConfig } from './node-config';
import { SystemRandom } from './system-random';
import { TcpTransport, type TransportLogger } from './tcp-transport';
import { WallClock } from './wall-clock';
import { EventLoopWatch } from './event-loop-watch';
import { lockDataDir } from './data-dir-lock';

/**
 * One real node: the core StorageNode built from `{ clock, random, disk, transport }` exactly as
 * sim/cluster.ts builds it — a FileDisk on `dataDir`, the wall clock, OS-seeded randomness and the TCP
 * transport to the static member list — plus its HTTP API. Used by `dynalab serve` (one per process) and
 * by tests (several in one process, each on its own directory and ports).
 */
export interface RealNode {
  readonly config: RealNodeConfig;
  readonly node: StorageNode;
  readonly transport: TcpTransport;
  readonly clock: WallClock;
  readonly http: http.Server;
  /** Bound addresses (useful when the config asked for port 0). */
  readonly httpAddress: { host: string; port: number };
  readonly tcpAddress: { host: string; port: number };
  /** Stops accepting clients, closes peer connections, then closes the engine (flushing nothing unsynced). */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: TransportLogger;
  /** Reconnect backoff for the transport (tests shorten it). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Overrides for the core config (tests). */
  core?: Partial<Omit<NodeConfig, 'id' | 'members'>>;
  /**
   * When another process takes this node's data directory over (see data-dir-lock.ts). Default: log and exit
   * the process at once, before this node writes or acknowledges anything more there.
   */
  onDataDirLost?: (reason: string) => void;
}

/** The core configuration a real config implies, except the engine options (realStorageOptions: they draw at random). */
export function coreConfigOf(config: RealNodeConfig): NodeConfig {
  return {
    id: config.id,
    members: config.members.map((m) => (m.weight === undefined ? { id: m.id } : { id: m.id, weight: m.weight })),
    partitioning: { kind: 'random-tokens', vnodes: config.vnodes },
    n: config.n,
    r: config.r,
    w: config.w,
    conflict: config.conflict,
    requestTimeoutMicros: config.requestTimeoutMs * 1000,
    antiEntropyIntervalMicros: config.antiEntropyIntervalMs * 1000,
  };
}

/**
 * The engine options of a real node, from its config's `storage` section. Each replica of a key range
 * receives the same writes, so with equal memtable sizes every node of a small cluster fills its memtable and
 * flushes it at the same moment — about 0.2 s of CPU per 64 MiB each, all at once, which on a 3-node loopback
 * cluster sharing two cores queued requests for a quarter of a second. A node therefore draws its memtable
 * size from 75–100 % of `memtableMiB` at start, so that flushes spread out (HBase jitters its periodic
 * flushes for the same reason).
 *
 * Flush and compaction run in steps of `backgroundStepBytes` input on the thread that answers requests. The
 * engine's default, 1 MiB, is about 3 ms of CPU per step here (and 8× that while writes wait for the flush);
 * a serving node takes 256 KiB steps, under a millisecond, so a request that arrives during one waits less.
 */
export function realStorageOptions(random: Random, storage: RealNodeConfig['storage']): NodeConfig['storage'] {
  const MiB = 2 ** 20;
  return {
    memtableBytes: Math.max(1, Math.round(storage.memtableMiB * MiB * (1 - 0.25 * random.next()))),
    blockCacheBytes: Math.round(storage.blockCacheMiB * MiB),
    compaction: storage.compaction,
    tableSyncBytes: Math.round(storage.tableSyncMiB * MiB),
    backgroundDutyCycle: storage.backgroundDutyCycle,
    backgroundStepBytes: 256 * 1024,
    tombstoneGraceMicros: Math.round(storage.tombstoneGraceHours * 3_600_000_000),
  };
}

export async function startRealNode(config: RealNodeConfig, options: StartOptions = {}): Promise<RealNode> {
  const clock = new WallClock();
  const random = new SystemRandom();
  const warn = (message: string): void => console.error(`[node ${config.id}] WARN ${message}`);
  // Before anything touches the directory: a second process on it would delete this one's WAL and MANIFEST
  // files (see data-dir-lock.ts). Throws, naming the holder, if another live process has it.
  const onLost = options.onDataDirLost ?? ((reason: string) => {
    console.error(`[node ${config.id}] FATAL ${reason}; exiting now so that two nodes never write one data directory`);
    process.exit(1);
  });
  const lock = await lockDataDir(config.dataDir, { onLost, onCheckFailed: warn });
  try {
    return await startLocked(config, options, { clock, random, warn, lock });
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(
  config: RealNodeConfig,
  options: StartOptions,
  { clock, random, warn, lock }: { clock: WallClock; random: SystemRandom; warn: (message: string) => void; lock: { release(): void } },
): Promise<RealNode> {
  const disk = new FileDisk(config.dataDir, {
    onSlowSync: (name, ms) => warn(`fdatasync of ${name} took ${Math.round(ms)} ms`),
  });
  const peers: Record<string, { host: string; port: number }> = {};
  for (const member of config.members) if (member.id !== config.id) peers[member.id] = splitHostPort(member.tcp);
  const transport = new TcpTransport({
    self: config.id,
    listen: splitHostPort(config.listen.tcp),
    peers,
    // The member list is static and complete: a client claiming any other id is refused (and logged).
    onlyKnownPeers: true,
    clusterSecret: config.secret,
    clusterSettings: clusterSettings(config),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  let tcpAddress: { host: string; port: number };
  try {
    tcpAddress = await transport.start();
  } catch (error) {
    disk.close();
    // Named like the HTTP one below: a bare "listen EADDRINUSE" said neither which port nor what it was for.
    throw new Error(`node ${config.id}: cannot listen for peers (listen.tcp) on ${config.listen.tcp}: ${listenFailure(error)}`);
  }
  // The HTTP port too, before the storage is opened: found by a review, a taken HTTP port was reported only
  // after the log had been replayed (minutes, for a long one) and a new node-epoch and log written. A probe
  // bound and closed at once; the real listen below still reports a port taken in between.
  try {
    await probeListen(splitHostPort(config.listen.http));
  } catch (error) {
    await transport.close();
    disk.close();
    throw new Error(`node ${config.id}: cannot listen for HTTP (listen.http) on ${config.listen.http}: ${listenFailure(error)}`);
  }
  const env: NodeEnvironment = { clock, random: random.fork('node'), disk, transport, crc32: nativeCrc32, soon: setImmediate };
  let node: StorageNode;
  try {
    node = await new Promise<StorageNode>((resolve, reject) => {
      StorageNode.start(env, { ...coreConfigOf(config), storage: realStorageOptions(random.fork('storage'), config.storage), ...options.core }, (error, started) => {
        if (error || started === null) reject(new Error(`node ${config.id} failed to start on ${config.dataDir}: ${error?.message ?? 'unknown error'}`));
        else resolve(started);
      });
    });
  } catch (error) {
    await transport.close();
    clock.cancelAll();
    disk.close();
    throw error;
  }
  const startedAt = Date.now();
  reportRecovery(node.engine.recovery, config.id, warn);
  const storageWatch = watchStorageFailure(node, warn);
  const loop = new EventLoopWatch({
    log: warn,
    describe: () => {
      const s = node.engine.stats();
      return `memtable ${(s.memtableBytes / 2 ** 20).toFixed(1)} MiB, ${s.immutableMemtables} sealed memtable(s) waiting to flush, ${s.flushes} flushes and ${s.compactions} compactions so far`;
    },
  });
  const fdLimit = openFileLimit();
  const connectionCap = clientConnectionCap(config.maxConnections, fdLimit);
  const server = createHttpApi(node, {
    ...(config.token !== undefined ? { token: config.token } : {}),
    maxInFlight: config.maxInFlightRequests,
    n: config.n, // so a w over n is refused before a body is invited
    maxBodyBytesInFlight: config.maxInFlightBodyMiB * 2 ** 20,
    unreachablePeers: () => transport.unreachablePeers(),
    maxConnections: connectionCap,
    onConnectionsRefused: (refused, cap) =>
      warn(`refused ${refused} HTTP connection(s): ${cap} already open (maxConnections; the open-file limit is ${fdLimit})`),
    status: () => ({
      pid: process.pid,
      // The Node.js/V8 flags this process runs with (deploy starts nodes with SERVER_NODE_FLAGS).
      nodeFlags: process.execArgv,
      http: config.listen.http,
      tcp: config.listen.tcp,
      dataDir: config.dataDir,
      members: config.members.map((m) => ({ id: m.id, tcp: m.tcp, ...(m.http ? { http: m.http } : {}) })),
      membership: 'static member list from the config file (no gossip yet)',
      quorum: { n: config.n, r: config.r, w: config.w, conflict: config.conflict },
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      transport: transport.stats(),
      eventLoop: loop.delay(),
      storage: node.engine.stats(),
    }),
    resetStatusWindow: () => loop.reset(),
  });
  const httpListen = splitHostPort(config.listen.http);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(httpListen.port, httpListen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => node.stop(() => resolve()));
    await transport.close();
    clock.cancelAll();
    loop.stop();
    clearInterval(storageWatch);
    disk.close();
    throw new Error(`node ${config.id}: cannot listen for HTTP (listen.http) on ${config.listen.http}: ${listenFailure(error)}`);
  }
  const bound = server.address() as AddressInfo;
  let stopping: Promise<void> | null = null;
  return {
    config,
    node,
    transport,
    clock,
    http: server,
    httpAddress: { host: bound.address, port: bound.port },
    tcpAddress,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await transport.close();
        await new Promise<void>((resolve) => node.stop(() => resolve()));
        clock.cancelAll();
        loop.stop();
        clearInterval(storageWatch);
        disk.close();
        lock.release();
      })();
      return stopping;
    },
  };
}

/** Binds `address` and lets it go again: throws what listen would. */
function probeListen(address: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(address.port, address.host, () => probe.close(() => resolve()));
  });
}

/** Why a listen failed, in words: Node's "listen EADDRINUSE: address already in use 127.0.0.1:9001" names the port twice. */
function listenFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use (another process holds this port: a node still running, or another program)';
    case 'EADDRNOTAVAIL':
      return 'address not available (this host has no such address)';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    default:
      return (error as Error).message;
  }
}

/**
 * Says what recovery did to the data directory, when it did anything a person should know about: bytes of a
 * log's tail dropped as torn (a crash mid-append — or a damaged last record, which looks the same), files
 * removed as leftovers. Found by a review: real mode never reported either.
 */
function reportRecovery(recovery: RecoveryReport, id: string, warn: (message: string) => void): void {
  if (recovery.walFilesReplayed > 0) {
    console.error(`[node ${id}] recovered ${recovery.walRecordsReplayed} write batch(es) from ${recovery.walFilesReplayed} write-ahead log file(s)`);
  }
  if (recovery.droppedWalBytes > 0) {
    warn(`recovery dropped ${recovery.droppedWalBytes} byte(s) at the end of a write-ahead log that did not verify (a write torn by a crash, or a damaged last record); writes in them were never acknowledged by this replica if torn — if damaged, its peers still hold them`);
  }
  if (recovery.orphanFilesRemoved.length > 0) {
    console.error(`[node ${id}] recovery removed ${recovery.orphanFilesRemoved.length} leftover file(s): ${recovery.orphanFilesRemoved.slice(0, 6).join(', ')}${recovery.orphanFilesRemoved.length > 6 ? ', …' : ''}`);
  }
}

/**
 * Logs the storage engine's failure once, when it happens (a failed fsync or append, a full disk, a damaged
 * table found by compaction). The node keeps running — it forwards writes to other owners and serves reads
 * from what it has — so without this line the only sign was a field in /v1/status (found by a review: a full
 * disk, ENOSPC, left no error in the log).
 */
function watchStorageFailure(node: StorageNode, warn: (message: string) => void): NodeJS.Timeout {
  let reported: string | null = null;
  const timer = setInterval(() => {
    const message = node.engine.error?.message ?? null;
    if (message !== null && message !== reported) {
      reported = message;
      warn(`STORAGE FAILED: ${message}; this node no longer stores writes (it forwards them to other owners) until it is restarted with the cause fixed (a full disk: free space; a damaged file: see the message)`);
    }
  }, 1000);
  timer.unref();
  return timer;
}

/**
 * What every member must share, for the transport's handshake to compare (peer-handshake.ts): the conflict
 * mode (a lww replica's answers cannot be merged into a vector-clock read), N, and what the ring is built from
 * (vnodes and the member list; the list as a digest, it can be long). A peer that differs is refused, and both
 * sides log the two strings.
 */
export function clusterSettings(config: RealNodeConfig): string {
  const members = config.members
    .map((member) => `${member.id}@${member.tcp}*${member.weight ?? 1}`)
    .sort()
    .join(',');
  const digest = createHash('sha256').update(members).digest('hex').slice(0, 12);
  return `conflict=${config.conflict} n=${config.n} vnodes=${config.vnodes} members#${digest}`;
}
