import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './free-port';
import { formatNodeConfig, loadNodeConfig, nodeConfigSchema, type RealNodeConfig } from './node-config';

/**
 * A local cluster of real node processes on loopback: what `dynalab deploy` runs, and what the kill -9 tests
 * and the benchmark drive. Each node is a child `node bin/dynalab.js serve --config <data>/<id>.yaml
 * --stop-on-stdin-eof`: it stops when this process ends, however it ends (see start()).
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

/**
 * V8 flags every node process starts with. A serving node's live heap is small (about 25 MiB under bench:real)
 * but V8 starts with an old-generation limit just above it, so it ran a full mark-compact every ~0.3 s under
 * load (71 in one bench:real run, each 3–15 ms of pause plus incremental steps on the thread that answers
 * requests). Letting the old generation grow to 256 MiB before the first one cut that to 7–12 per run, and the
 * worse of the two half-load p99s from 34 / 355 / 72 ms to 27 / 27 / 16 ms over three alternating runs each
 * (`npm run bench:real`, this 2-core VM). The cost is up to 256 MiB more resident memory per node before the
 * heap is first collected. --no-allocation-site-pretenuring was tried beside it and changed nothing.
 * 32 MiB semi-spaces (V8's default tops out at 16) then made scavenges rarer: over seven alternating runs the
 * worse half-load p99 had a median of 17 ms with them against 28 ms without (PUT p99 13–23 ms against
 * 19–26 ms in the last four), at up to 48 MiB more memory per node.
 * `dynalab serve` started by hand takes the same flags on its node command line (README, "Real mode").
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256', '--max-semi-space-size=32'];

export class LocalCluster {
  readonly nodes: ChildNode[];
  /** True when the configs were found in the data directory (a restart), false when just written. */
  readonly reused: boolean;

  private constructor(
    nodes: ChildNode[],
    reused: boolean,
    private readonly onLog: (id: string, line: string) => void,
    /** What prepare() created on a fresh directory (null for a recovered cluster). */
    private readonly created: Created | null = null,
  ) {
    this.nodes = nodes;
    this.reused = reused;
  }

  /**
   * Writes (or, on a data directory that has them, loads) the node configs. Starts nothing. Every option is
   * validated before the first file is written, and if writing fails part-way what this call created is
   * removed, so a mistake never leaves a half-written cluster behind that blocks the corrected command.
   */
  static async prepare(options: LocalClusterOptions): Promise<LocalCluster> {
    const dataDir = path.resolve(options.dataDir);
    const onLog = options.onLog ?? ((id, line) => process.stderr.write(nodeLogLine(id, line)));
    const existing = fs.existsSync(dataDir)
      ? fs.readdirSync(dataDir).filter((f) => /^n\d+\.yaml$/.test(f)).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1)))
      : [];
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
    // An empty token (`--token "$UNSET"`) would start a cluster without one; a config file refuses it too.
    if (options.token !== undefined && options.token.length === 0) throw new Error('--token is empty: give a token, or leave the option out for a cluster without one');
    const members = Array.from({ length: options.nodes }, (_, i) => ({ id: `n${i}`, http: `127.0.0.1:${ports.http[i]}`, tcp: `127.0.0.1:${ports.tcp[i]}` }));
    const n = options.n ?? Math.min(3, options.nodes);
    const inputs = members.map((member) => ({
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
    }));
    // Validate everything first (the configs differ only in id and listen, so the first speaks for the options).
    for (const input of inputs) {
      const parsed = nodeConfigSchema.safeParse(input);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => {
          const field = issue.path.map(String).join('.');
          return `${DEPLOY_FLAGS[field] ?? field}: ${issue.message}`;
        });
        throw new Error(`invalid options, nothing written: ${[...new Set(problems)].join('; ')}`);
      }
    }
    // Found by a review: two deploys started together on a fresh directory both found it empty, and the one
    // that lost the race for n0.yaml removed the winner's files, since each file (and each node directory) was
    // recorded as created before it was written. Now a file counts as this deploy's only once its exclusive
    // write ('wx') succeeded, the node directories only once every config is written (they are made by the
    // nodes this deploy starts), and on failure the directories it made are removed only if empty.
    const created: Created = { files: [], dirs: [] };
    try {
      const firstNew = fs.mkdirSync(dataDir, { recursive: true });
      if (firstNew !== undefined) created.root = firstNew;
      const nodes = inputs.map((input) => {
        const configFile = path.join(dataDir, `${input.id}.yaml`);
        try {
          fs.writeFileSync(configFile, `# written by dynalab deploy; edit with care: every node must agree on members, n and conflict\n${formatNodeConfig(input)}`, { mode: 0o600, flag: 'wx' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          throw new Error(
            `another deploy is writing ${dataDir} (${configFile} appeared while this one was writing its configs); ` +
              'this one removed what it wrote and stops: wait for the other deploy, or use another --data directory',
          );
        }
        created.files.push(configFile);
        return { id: input.id, configFile, config: loadNodeConfig(configFile), process: null, exited: null };
      });
      for (const member of members) {
        const nodeDir = path.join(dataDir, member.id);
        if (!fs.existsSync(nodeDir)) created.dirs.push(nodeDir); // the node creates it when it starts
      }
      return new LocalCluster(nodes, false, onLog, created);
    } catch (error) {
      removeCreated(created, dataDir, false);
      throw error;
    }
  }

  /**
   * For a cluster this process just wrote (not one recovered from an existing directory): removes the config
   * files, the node directories and the data directory it created — after a start that failed, so that the
   * corrected command starts from a clean slate. Stop the nodes first. Returns false (and removes nothing) for a
   * recovered cluster.
   */
  discardCreated(): boolean {
    if (this.reused || this.created === null) return false;
    if (this.nodes.some((node) => node.process !== null)) throw new Error('discardCreated: stop the nodes first');
    removeCreated(this.created, null, true);
    return true;
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
    // DYNALAB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx dynalab deploy … profiles every node. They come
    // after SERVER_NODE_FLAGS, so a user's choice of the same V8 flag wins.
    const nodeArgs = (process.env.DYNALAB_NODE_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0);
    // Each node's stdin is a pipe this process holds open and never writes to: however this process ends —
    // kill -9 included, which no handler sees — the kernel closes it, and the node, told by --stop-on-stdin-eof,
    // stops as on SIGTERM. With stdin ignored (before), nodes outlived a killed deploy with their LOCKs held.
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeArgs, BIN, 'serve', '--config', node.configFile, '--stop-on-stdin-eof'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.on('error', () => {}); // never written; a node that exits must not take this process down
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

/** What a fresh prepare() created: config files, node directories (made by the nodes) and the data directory. */
interface Created {
  files: string[];
  dirs: string[];
  /** The outermost directory mkdir created, if the data directory did not exist. */
  root?: string;
}

/**
 * Removes what a fresh prepare() created. `whole`: the cluster is this deploy's (every config was written by
 * it), so the data directory it made goes with everything in it. Otherwise (prepare failing part-way, maybe
 * beside another deploy writing the same directory) only this deploy's files go, and the directories it
 * made from `dataDir` up to the outermost only if they are empty: another deploy's files may be in them.
 */
function removeCreated(created: Created, dataDir: string | null, whole: boolean): void {
  for (const file of created.files) fs.rmSync(file, { force: true });
  for (const dir of created.dirs) fs.rmSync(dir, { recursive: true, force: true });
  if (created.root === undefined) return;
  if (whole) {
    fs.rmSync(created.root, { recursive: true, force: true });
    return;
  }
  for (let dir = dataDir ?? created.root; ; dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir); // only if empty
    } catch {
      return; // not empty (another deploy's files), or gone: what is above it stays too
    }
    if (dir === created.root || path.dirname(dir) === dir) return;
  }
}

/** The deploy flag behind each option a node config takes from it. */
const DEPLOY_FLAGS: Record<string, string> = { n: '--n', r: '--r', w: '--w', conflict: '--conflict', token: '--token' };

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
