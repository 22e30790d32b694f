import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './free-port';
import { formatNodeConfig, loadNodeConfig, type RealNodeConfig } from './node-config';

/**
 * A local cluster of real node processes on loopback: what `dynalab deploy` runs, and what the kill -9 tests
 * and the benchmark drive. Each node is a child `node bin/dynalab.js serve --config <data>/<id>.yaml`.
 *
 * The first deploy on a data directory writes one config per node into it (free loopback ports, a fresh
 * random cluster secret); a later deploy on the same directory reuses those configs — same ids, ports,
 * secret and data — so the nodes recover their data from their WALs and SSTables.
 */
export interface LocalClusterOptions {
  dataDir: string;
  nodes: number;
  n?: number;
  r?: number;
  w?: number;
  conflict?: 'vclock' | 'lww';
  token?: string;
  /** First HTTP port to try (HTTP base+i, TCP base+1000+i); busy ports fall back to random free ones. */
  basePort?: number;
  /** Where the children's stderr goes (default: this process's stderr, prefixed with the node id). */
  onLog?: (id: string, line: string) => void;
}

export interface ChildNode {
  id: string;
  configFile: string;
  config: RealNodeConfig;
  process: ChildProcess | null;
  /** Resolves when the current process exits (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null;
}

const BIN = fileURLToPath(new URL('../bin/dynalab.js', import.meta.url));

export class LocalCluster {
  readonly nodes: ChildNode[];
  /** True when the configs were found in the data directory (a restart), false when just written. */
  readonly reused: boolean;

  private constructor(
    nodes: ChildNode[],
    reused: boolean,
    private readonly onLog: (id: string, line: string) => void,
  ) {
    this.nodes = nodes;
    this.reused = reused;
  }

  /** Writes (or, on a data directory that has them, loads) the node configs. Starts nothing. */
  static async prepare(options: LocalClusterOptions): Promise<LocalCluster> {
    const dataDir = path.resolve(options.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const onLog = options.onLog ?? ((id, line) => process.stderr.write(nodeLogLine(id, line)));
    const existing = fs.readdirSync(dataDir).filter((f) => /^n\d+\.yaml$/.test(f)).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1)));
    if (existing.length > 0) {
      if (existing.length !== options.nodes) {
        throw new Error(`${dataDir} holds a ${existing.length}-node cluster (${existing.join(', ')}); deploy it with --nodes ${existing.length} or use another --data directory`);
      }
      const nodes = existing.map((file) => {
        const configFile = path.join(dataDir, file);
        const config = loadNodeConfig(configFile);
        return { id: config.id, configFile, config, process: null, exited: null };
      });
      return new LocalCluster(nodes, true, onLog);
    }
    if (!(Number.isInteger(options.nodes) && options.nodes >= 1 && options.nodes <= 64)) throw new Error(`--nodes must be between 1 and 64, got ${options.nodes}`);
    const ports = await pickPorts(options.nodes, options.basePort);
    const secret = randomBytes(24).toString('base64url');
    const members = Array.from({ length: options.nodes }, (_, i) => ({ id: `n${i}`, http: `127.0.0.1:${ports.http[i]}`, tcp: `127.0.0.1:${ports.tcp[i]}` }));
    const n = options.n ?? Math.min(3, options.nodes);
    const nodes = members.map((member) => {
      const configFile = path.join(dataDir, `${member.id}.yaml`);
      const text = formatNodeConfig({
        id: member.id,
        listen: { http: member.http, tcp: member.tcp },
        dataDir: `./${member.id}`,
        secret,
        ...(options.token ? { token: options.token } : {}),
        members,
        n,
        r: options.r ?? Math.min(2, n),
        w: options.w ?? Math.min(2, n),
        conflict: options.conflict ?? 'vclock',
      });
      fs.writeFileSync(configFile, `# written by dynalab deploy; edit with care: every node must agree on members, n and conflict\n${text}`, { mode: 0o600 });
      return { id: member.id, configFile, config: loadNodeConfig(configFile), process: null, exited: null };
    });
    return new LocalCluster(nodes, false, onLog);
  }

  endpoints(): string[] {
    return this.nodes.map((n) => `http://${n.config.listen.http}`);
  }

  async startAll(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.start(i, timeoutMs)));
  }

  /** Spawns node `index` and resolves once it prints its ready line (rejects if it exits first). */
  start(index: number, timeoutMs = 30_000): Promise<void> {
    const node = this.nodes[index];
    if (node === undefined) return Promise.reject(new Error(`no node ${index}`));
    if (node.process !== null) return Promise.reject(new Error(`node ${node.id} is already running`));
    // DYNALAB_NODE_ARGS: extra Node.js flags for each node process (NODE_OPTIONS refuses some, e.g. --cpu-prof):
    // DYNALAB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx dynalab deploy … profiles every node.
    const nodeArgs = (process.env.DYNALAB_NODE_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0);
    const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--config', node.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    node.process = child;
    node.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      if (node.process === child) node.process = null;
      resolve({ code, signal });
    }));
    lines(child.stderr!, (line) => this.onLog(node.id, line));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`node ${node.id} did not become ready within ${timeoutMs} ms`));
      }, timeoutMs);
      lines(child.stdout!, (line) => {
        if (line.startsWith(`ready ${node.id} `)) {
          clearTimeout(timer);
          resolve();
        } else {
          this.onLog(node.id, line);
        }
      });
      void node.exited!.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`node ${node.id} exited (${signal ?? `code ${code}`}) before it was ready`));
      });
    });
  }

  /** Sends `signal` to node `index` and waits for it to exit. SIGKILL is kill -9: no cleanup at all. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.nodes[index]!;
    if (node.process === null) return;
    const exited = node.exited!;
    node.process.kill(signal);
    await exited;
  }

  /** SIGTERM to every node, SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (node.process === null) return;
        const child = node.process;
        const exited = node.exited!;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

async function pickPorts(count: number, base?: number): Promise<{ http: number[]; tcp: number[] }> {
  if (base !== undefined && base > 0) {
    const wanted = { http: Array.from({ length: count }, (_, i) => base + i), tcp: Array.from({ length: count }, (_, i) => base + 1000 + i) };
    if (await allFree([...wanted.http, ...wanted.tcp])) return wanted;
  }
  const ports = await freePorts(count * 2);
  return { http: ports.slice(0, count), tcp: ports.slice(count) };
}

async function allFree(ports: number[]): Promise<boolean> {
  const net = await import('node:net');
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered.length > 0) onLine(buffered);
  });
}

/** A node's log line as a cluster prints it: prefixed with the node id unless the node already did. */
export function nodeLogLine(id: string, line: string): string {
  return line.startsWith('[') ? `${line}\n` : `[${id}] ${line}\n`;
}
